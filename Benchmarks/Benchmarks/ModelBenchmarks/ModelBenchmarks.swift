import Benchmark
import Dispatch
import Evaluation
import Models
import TensorCore
import VideoData

// One training step of each model (the project's one `TrainingStep`: its own loss, backward, clipping
// and optimizer on its published schedule) at published width and the shapes of the side-by-side
// comparison with PyTorch (results/speed-report.md): LoGoNet, EDSNet and VideoSAGE at batch 8 x 64
// frames, CSTA at 4 x 64, 2 threads. Besides wall time, each reports the model's own FLOPs per step
// (3 x forward) over the measured time, so a regression in any kernel shows as lower GFLOP/s. Set
// OPENBLAS_CORETYPE=SkylakeX on CPUs Debian's OpenBLAS does not recognise.

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
        let step: TrainingStep
        let batch: ModelBatch
        do {
            let registry = ModelRegistry.standard
            model = try registry.make(ModelSpec(name: shape.name))
            var schedule = try registry.publishedSchedule(shape.name, .report)
            schedule.batchSize = shape.batch
            schedule.gradientAccumulation = 1
            step = try TrainingStep(model: model, schedule: schedule)
            var rng = SeededGenerator(seed: 1)
            let width = model.inputDim
            let videos = (0..<shape.batch).map { b in
                Video(key: "random-\(b)", featureWidth: width,
                      features: Tensor.uniform([shape.frames, width], low: -2, high: 2, rng: &rng).values,
                      gtscore: Tensor.uniform([shape.frames], low: 0, high: 1, rng: &rng).values,
                      changePoints: [Shot(start: 0, end: shape.frames)])
            }
            batch = try ModelBatch(videos: videos, needs: model.contract.needs)
        } catch {
            fatalError("ModelBenchmarks: cannot set up \(shape.name): \(error)")
        }
        let flopsPerStep = 3 * model.forwardFlopsPerFrame(length: shape.frames) * Double(shape.batch * shape.frames)
        model.train()

        Benchmark("\(shape.name) train step \(shape.batch)x\(shape.frames)",
                  configuration: .init(metrics: [.wallClock, .peakMemoryResident, gflopsMetric], warmupIterations: 1,
                                       maxDuration: .seconds(60), maxIterations: shape.iterations)) { benchmark in
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in benchmark.scaledIterations { step.run(batch) }
            let elapsed = DispatchTime.now().uptimeNanoseconds - start
            benchmark.measurement(gflopsMetric, gflops(flopsPerStep * Double(benchmark.scaledIterations.count), elapsed))
        }
    }
}
