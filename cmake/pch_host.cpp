// The host of a precompiled header that other targets reuse (REUSE_FROM):
// <torch/torch.h> for the libtorch tests and benchmark twins (CMakeLists.txt),
// GoogleTest and tensorgrad.h for the other tests (tests/CMakeLists.txt). A
// program that does nothing.
int main() { return 0; }
