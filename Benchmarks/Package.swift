// swift-tools-version: 6.1
import PackageDescription

// Benchmarks live in their own package so the main build and tests do not compile the benchmark
// framework. Run: `cd Benchmarks && swift package benchmark` (release build by default).
let package = Package(
    name: "BenchBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "bench", path: ".."),
        .package(url: "https://github.com/ordo-one/package-benchmark.git", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "TensorCoreBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "package-benchmark"),
                .product(name: "TensorCore", package: "bench"),
                .product(name: "CBLAS", package: "bench"),
            ],
            path: "Benchmarks/TensorCoreBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
        // One training step per model at the shapes of results/speed-report.md.
        .executableTarget(
            name: "ModelBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "package-benchmark"),
                .product(name: "TensorCore", package: "bench"),
                .product(name: "Models", package: "bench"),
                .product(name: "VideoData", package: "bench"),
                .product(name: "Evaluation", package: "bench"),
            ],
            path: "Benchmarks/ModelBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
    ]
)
