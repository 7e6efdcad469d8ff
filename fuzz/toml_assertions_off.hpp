// Force-included into every file of the fuzz build (fuzz/CMakeLists.txt):
// toml++'s internal debug assertions off, as in the release build of the
// Debian library tipsim normally links.
#pragma once
#define TOML_ASSERT(expr) ((void)0)
