// The host of the precompiled <torch/torch.h> that every libtorch test and
// benchmark twin reuses (CMakeLists.txt): a program that does nothing.
int main() { return 0; }
