// The TensorCore module. See the README for how the modules fit together.
