// swift-tools-version: 6.1
import PackageDescription

// Swift 6 language mode (the default for tools 6.x) gives strict concurrency checking everywhere.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "bench",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "bench", targets: ["bench"]),
        .library(name: "TensorCore", targets: ["TensorCore"]),
        // Raw OpenBLAS for benchmarks that compare our matrix products with sgemm on the same buffers.
        .library(name: "CBLAS", targets: ["CBLAS"]),
        .library(name: "VideoData", targets: ["VideoData"]),
        .library(name: "Evaluation", targets: ["Evaluation"]),
        .library(name: "Models", targets: ["Models"]),
        .library(name: "Harness", targets: ["Harness"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
    ],
    targets: [
        // System libraries, found through pkg-config (Debian: libopenblas-dev, libhdf5-dev, libzstd-dev).
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5",
                       providers: [.apt(["libhdf5-dev"]), .brew(["hdf5"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd",
                       providers: [.apt(["libzstd-dev"]), .brew(["zstd"])]),

        // Wide-vector elementwise kernels picked at load time for the running CPU (see its header).
        .target(name: "CKernels"),
        // Open MPI loaded at run time (dlopen), so the package builds and tests where MPI is absent (see its header).
        .target(name: "CMPI", linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
        .target(name: "Randomness", swiftSettings: swiftSettings),
        // The one atomic file writer and JSON set-up every module's files go through.
        .target(name: "FileSupport", swiftSettings: swiftSettings),
        .target(name: "TensorCore", dependencies: ["CBLAS", "CZstd", "CKernels", "Randomness", "FileSupport"], swiftSettings: swiftSettings),
        .target(name: "VideoData", dependencies: ["CHDF5", "Evaluation", "Randomness", "FileSupport"], swiftSettings: swiftSettings),
        .target(name: "Evaluation", dependencies: ["Randomness"], swiftSettings: swiftSettings),
        .target(name: "Models", dependencies: ["TensorCore", "Evaluation", "VideoData"], swiftSettings: swiftSettings),
        .target(name: "Harness",
                dependencies: ["TensorCore", "VideoData", "Evaluation", "Models", "FileSupport", "CBLAS", "Randomness", "CMPI"],
                swiftSettings: swiftSettings),
        .executableTarget(name: "bench",
                          dependencies: ["Harness", "Models", "TensorCore", "VideoData", "FileSupport", "Evaluation",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")], swiftSettings: swiftSettings),

        // Test support shared by the test targets (fixture loading); not part of any product.
        .target(name: "TestSupport", dependencies: ["TensorCore"], path: "Tests/Support", swiftSettings: swiftSettings),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "VideoDataTests", dependencies: ["VideoData", "Evaluation", "Randomness"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Randomness", "FileSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "TensorCore", "VideoData", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "HarnessTests", dependencies: ["Harness", "Models", "TensorCore", "VideoData", "Evaluation"]),
    ]
)
