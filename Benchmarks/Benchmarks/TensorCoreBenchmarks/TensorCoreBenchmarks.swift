import Benchmark
import Dispatch
import CBLAS
import TensorCore

// Matrix products against raw cblas_sgemm on the same buffers, the two heaviest layer shapes of
// LoGoNet (batch 8, 64 frames, 512 wide), forward + backward, and the wide-vector GELU and Adam kernels. Each benchmark also reports GFLOP/s as a
// custom metric (FLOPs counted by the tensor core's accounting, over the measured wall time).

private func gflops(_ flops: Int64, _ nanoseconds: UInt64) -> Int {
    Int(Double(flops) / Double(max(nanoseconds, 1)))
}

let benchmarks: @Sendable () -> Void = {
    Threading.setCount(2)
    let gflopsMetric = BenchmarkMetric.custom("GFLOP/s", polarity: .prefersLarger, useScalingFactor: false)
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, gflopsMetric], maxDuration: .seconds(5), maxIterations: 20)

    for n in [512, 1024, 2048] {
        var rng = SeededGenerator(seed: 1)
        let a = Tensor.normal([n, n], rng: &rng), b = Tensor.normal([n, n], rng: &rng)
        let flops = Int64(2 * n * n * n)

        Benchmark("matmul \(n)x\(n) (Tensor.matmul)") { benchmark in
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in benchmark.scaledIterations { blackHole(a.matmul(b)) }
            benchmark.measurement(gflopsMetric, gflops(flops, DispatchTime.now().uptimeNanoseconds - start))
        }

        let c = Tensor(zeros: [n, n])
        Benchmark("matmul \(n)x\(n) (raw cblas_sgemm)") { benchmark in
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in benchmark.scaledIterations {
                a.withUnsafeBuffer { pa in b.withUnsafeBuffer { pb in c.withUnsafeMutableBuffer { pc in
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1,
                                pa.baseAddress, Int32(n), pb.baseAddress, Int32(n), 0, pc.baseAddress, Int32(n))
                } } }
            }
            benchmark.measurement(gflopsMetric, gflops(flops, DispatchTime.now().uptimeNanoseconds - start))
        }
    }

    // The ratio itself, robust to load drift on a shared machine: each iteration times our matmul and the
    // raw sgemm back to back on the same buffers and the metric is the sum of raw time over the sum of ours
    // (100 = no overhead). The acceptance bar is 90.
    let ratioMetric = BenchmarkMetric.custom("raw/ours %", polarity: .prefersLarger, useScalingFactor: false)
    for n in [512, 1024, 2048] {
        var rng = SeededGenerator(seed: 6)
        let a = Tensor.normal([n, n], rng: &rng), b = Tensor.normal([n, n], rng: &rng)
        let c = Tensor(zeros: [n, n])
        Benchmark("matmul \(n)x\(n) ours vs raw sgemm, interleaved",
                  configuration: .init(metrics: [ratioMetric], maxDuration: .seconds(10), maxIterations: 10)) { benchmark in
            var ours: UInt64 = 0, raw: UInt64 = 0
            func timeOurs() -> UInt64 {
                let t0 = DispatchTime.now().uptimeNanoseconds
                blackHole(a.matmul(b))
                return DispatchTime.now().uptimeNanoseconds - t0
            }
            func timeRaw() -> UInt64 {
                let t0 = DispatchTime.now().uptimeNanoseconds
                a.withUnsafeBuffer { pa in b.withUnsafeBuffer { pb in c.withUnsafeMutableBuffer { pc in
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1,
                                pa.baseAddress, Int32(n), pb.baseAddress, Int32(n), 0, pc.baseAddress, Int32(n))
                } } }
                return DispatchTime.now().uptimeNanoseconds - t0
            }
            // Alternate which goes first, so warm-up effects do not favour either side.
            for i in 0..<(n >= 2048 ? 4 : 10) {
                if i % 2 == 0 { ours += timeOurs(); raw += timeRaw() } else { raw += timeRaw(); ours += timeOurs() }
            }
            benchmark.measurement(ratioMetric, Int(100 * Double(raw) / Double(max(ours, 1))))
        }
    }

    // LoGoNet's feature projection: Linear 1024 -> 512 on (8, 64, 1024), forward + backward.
    do {
        var rng = SeededGenerator(seed: 2)
        let rs = RandomSource(seed: 3)
        let layer = Linear(1024, 512, rng: rs)
        let x = Tensor.normal([8, 64, 1024], rng: &rng)
        x.requiresGrad = true
        Benchmark("Linear 1024->512 fwd+bwd (8x64)") { benchmark in
            let before = Accounting.flops
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in benchmark.scaledIterations {
                layer(x).sum().backward()
            }
            benchmark.measurement(gflopsMetric, gflops(Accounting.flops - before, DispatchTime.now().uptimeNanoseconds - start))
        }
    }

    // LoGoNet's conv2: Conv2d 256 -> 512, kernel (3,1), padding (1,0) on (8, 256, 64, 512), forward + backward.
    do {
        var rng = SeededGenerator(seed: 4)
        let rs = RandomSource(seed: 5)
        let conv = Conv2d(256, 512, kernel: (3, 1), padding: (1, 0), rng: rs)
        let x = Tensor.normal([8, 256, 64, 512], std: 0.1, rng: &rng)
        x.requiresGrad = true
        Benchmark("Conv2d (3,1) 256->512 fwd+bwd (8x256x64x512)",
                  configuration: .init(metrics: [.wallClock, gflopsMetric], maxDuration: .seconds(20), maxIterations: 3)) { benchmark in
            let before = Accounting.flops
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in benchmark.scaledIterations {
                conv(x).sum().backward()
            }
            benchmark.measurement(gflopsMetric, gflops(Accounting.flops - before, DispatchTime.now().uptimeNanoseconds - start))
        }
    }

    // The wide-vector kernels (Sources/CKernels): GELU forward + backward on EDSNet's channel-MLP
    // activations, and one Adam step over EDSNet's 12.2 M parameters (memory-bound; streaming stores).
    do {
        var rng = SeededGenerator(seed: 6)
        let x = Tensor.normal([8, 64, 2048], rng: &rng)
        x.requiresGrad = true
        Benchmark("GELU fwd+bwd (8x64x2048)") { benchmark in
            for _ in benchmark.scaledIterations { x.gelu().sum().backward() }
        }
        let parameters = (0..<24).map { _ in Tensor.normal([512, 1000], rng: &rng) }
        for p in parameters {
            p.requiresGrad = true
            p.grad = Tensor.normal(p.shape, rng: &rng)
        }
        let adam = Adam(parameters, lr: 1e-4)
        Benchmark("Adam step (12.3M parameters)") { benchmark in
            for _ in benchmark.scaledIterations { adam.step() }
        }
    }
}
