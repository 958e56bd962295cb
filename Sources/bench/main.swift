// The `bench` command: a thin layer over the Harness library (see Bench.swift).
Bench.main()
