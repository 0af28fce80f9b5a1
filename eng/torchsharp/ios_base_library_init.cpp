// GCC 13's libstdc++ initialises the standard streams itself and has translation units that include <iostream> refer
// to std::ios_base_library_init(); GCC 12's does not have it, so this object (which includes <iostream>) supplies the
// symbol and the static ios_base::Init that GCC 12 expects every such translation unit to hold.
#include <iostream>
namespace std { void ios_base_library_init() {} }
