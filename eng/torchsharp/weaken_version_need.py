# Marks one version requirement (vernaux entry) of an ELF shared object weak (VER_FLG_WEAK), so the dynamic loader
# accepts its absence instead of refusing to load the object. ELF64 little-endian (x86-64) only; idempotent.
# Usage: weaken_version_need.py LIBRARY VERSION
import struct, sys
VER_FLG_WEAK = 2
path, wanted = sys.argv[1], sys.argv[2].encode()
data = bytearray(open(path, 'rb').read())
if data[:5] != b'\x7fELF\x02' or data[5] != 1:
    sys.exit(f'{path}: not an ELF64 little-endian object')
changed = False
shoff, = struct.unpack_from('<Q', data, 0x28)
shentsize, shnum, shstrndx = struct.unpack_from('<HHH', data, 0x3A)
def sh(i):
    return struct.unpack_from('<IIQQQQIIQQ', data, shoff + i * shentsize)
secs = [sh(i) for i in range(shnum)]
for s in secs:
    if s[1] == 0x6ffffffe:  # SHT_GNU_verneed
        strtab = secs[s[6]]
        off, count = s[4], s[7]
        for _ in range(count):
            vn_version, vn_cnt, vn_file, vn_aux, vn_next = struct.unpack_from('<HHIII', data, off)
            a = off + vn_aux
            for _ in range(vn_cnt):
                vna_hash, vna_flags, vna_other, vna_name, vna_next = struct.unpack_from('<IHHII', data, a)
                name = bytes(data[strtab[4] + vna_name:]).split(b'\0', 1)[0]
                if name == wanted and not vna_flags & VER_FLG_WEAK:
                    struct.pack_into('<H', data, a + 4, vna_flags | VER_FLG_WEAK)
                    changed = True
                    print(f'{path}: requirement {name.decode()} marked weak')
                a += vna_next
            off += vn_next
if changed:
    open(path, 'wb').write(data)
