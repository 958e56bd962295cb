import Benchmark
import Dispatch
import Models
import TensorCore

// One training step (forward, masked-MSE backward, Adam step) of each model at published width and the
// shapes of the side-by-side comparison with PyTorch (results/speed-report.md): LoGoNet, EDSNet and
// VideoSAGE at batch 8 x 64 frames, CSTA at 4 x 64, 2 threads. Besides wall time, each reports the
// model's own FLOPs per step (3 x forward) over the measured time, so a regression in any kernel shows
// as lower GFLOP/s. Set OPENBLAS_CORETYPE=SkylakeX on CPUs Debian's OpenBLAS does not recognise.

private func gflops(_ flops: Double, _ nanoseconds: UInt64) -> Int {
    Int(flops / Double(max(nanoseconds, 1)))
}

let benchmarks: @Sendable () -> Void = {
    Threading.setCount(2)
    let gflopsMetric = BenchmarkMetric.custom("model GFLOP/s", polarity: .prefersLarger, useScalingFactor: false)

    let shapes: [(name: String, batch: Int, frames: Int, iterations: Int)] = [
        ("logonet", 8, 64, 5), ("csta", 4, 64, 5), ("edsnet", 8, 64, 30), ("videosage", 8, 64, 100),
    ]
    for shape in shapes {
        let model: any SummaryModel
        do {
            model = try ModelRegistry.standard.make(ModelSpec(name: shape.name))
        } catch {
            fatalError("ModelBenchmarks: cannot build \(shape.name): \(error)")
        }
        var rng = SeededGenerator(seed: 1)
        let features = Tensor.uniform([shape.batch, shape.frames, model.inputDim], low: -2, high: 2, rng: &rng)
        let target = Tensor.uniform([shape.batch, shape.frames], low: 0, high: 1, rng: &rng)
        let mask = Tensor(repeating: 1, shape: [shape.batch, shape.frames])
        let optimizer = Adam(model.parameters(), lr: 1e-5)
        let flopsPerStep = 3 * model.forwardFlopsPerFrame(length: shape.frames) * Double(shape.batch * shape.frames)
        model.train()

        Benchmark("\(shape.name) train step \(shape.batch)x\(shape.frames)",
                  configuration: .init(metrics: [.wallClock, .peakMemoryResident, gflopsMetric], warmupIterations: 1,
                                       maxDuration: .seconds(60), maxIterations: shape.iterations)) { benchmark in
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in benchmark.scaledIterations {
                let loss = Tensor.maskedMSE(model(features, mask: mask), target, mask: mask)
                loss.backward()
                GradMode.withNoGrad { optimizer.step() }
                model.zeroGrad()
            }
            let elapsed = DispatchTime.now().uptimeNanoseconds - start
            benchmark.measurement(gflopsMetric, gflops(flopsPerStep * Double(benchmark.scaledIterations.count), elapsed))
        }
    }
}
