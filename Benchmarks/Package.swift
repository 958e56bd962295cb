// swift-tools-version: 6.1
import PackageDescription

// Benchmarks live in their own package so the main build and tests do not compile the benchmark
// framework. Run: `cd Benchmarks && swift package benchmark` (release build by default; README "The tensor core").
let package = Package(
    name: "BenchBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "bench", path: ".."),
        // ordo-one/benchmark (formerly package-benchmark). Only the MallocInterposer trait: the default
        // RuntimeInterposer trait would pull in swift-runtime-interposer (Swift 6.3 on Linux), which this
        // setup does not have; without it the plugin notes that it skips that LD_PRELOAD.
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "TensorCoreBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "TensorCore", package: "bench"),
                .product(name: "CBLAS", package: "bench"),
            ],
            path: "Benchmarks/TensorCoreBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // One training step per model at the side-by-side shapes (published widths) and at `--size small`
        // (published batch sizes), and a small-width evaluation pass.
        .executableTarget(
            name: "ModelBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "TensorCore", package: "bench"),
                .product(name: "Models", package: "bench"),
                .product(name: "VideoData", package: "bench"),
                .product(name: "Evaluation", package: "bench"),
            ],
            path: "Benchmarks/ModelBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
