// The `bench` command: a thin layer over the Harness library (see Bench.swift).
import TensorCore

// OpenBLAS reads its kernel choice only when it loads: switch away from its generic fallback first.
BLASKernel.reexecWithTunedEnvironmentIfNeeded()
Bench.main()
