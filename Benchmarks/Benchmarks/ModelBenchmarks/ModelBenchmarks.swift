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

/// Random videos of the given lengths (features uniform in [-2, 2], gtscore in [0, 1], one shot each).
private func randomVideos(lengths: [Int], width: Int, seed: UInt64) -> [Video] {
    var rng = SeededGenerator(seed: seed)
    return lengths.enumerated().map { b, frames in
        Video(key: "random-\(b)", featureWidth: width,
              features: Tensor.uniform([frames, width], low: -2, high: 2, rng: &rng).values,
              gtscore: Tensor.uniform([frames], low: 0, high: 1, rng: &rng).values,
              changePoints: [Shot(start: 0, end: frames)])
    }
}

let benchmarks: @Sendable () -> Void = {
    Threading.setCount(2)
    let gflopsMetric = BenchmarkMetric.custom("model GFLOP/s", polarity: .prefersLarger, useScalingFactor: false)

    // Published width at the side-by-side shapes, and `--size small` (what `bench all --size small`
    // trains) at each model's published batch size (VideoSAGE's 512 is more than the 128 training videos
    // of the synthetic set, so 128) and 129 frames, the synthetic set's mean length.
    let shapes: [(name: String, size: ModelSize, batch: Int, frames: Int, iterations: Int)] = [
        ("logonet", .paper, 8, 64, 5), ("csta", .paper, 4, 64, 5), ("edsnet", .paper, 8, 64, 30), ("videosage", .paper, 8, 64, 100),
        ("logonet", .small, 8, 129, 20), ("csta", .small, 4, 129, 20), ("edsnet", .small, 112, 129, 5),
        ("videosage", .small, 128, 129, 20),
    ]
    for shape in shapes {
        let model: any SummaryModel
        let step: TrainingStep
        let batch: ModelBatch
        do {
            let registry = ModelRegistry.standard
            model = try registry.make(ModelSpec(name: shape.name, size: shape.size))
            var schedule = try registry.publishedSchedule(shape.name, .report)
            schedule.batchSize = shape.batch
            schedule.gradientAccumulation = 1
            step = try TrainingStep(model: model, schedule: schedule)
            let videos = randomVideos(lengths: Array(repeating: shape.frames, count: shape.batch), width: model.inputDim, seed: 1)
            batch = try ModelBatch(videos: videos, needs: model.contract.needs)
        } catch {
            fatalError("ModelBenchmarks: cannot set up \(shape.name): \(error)")
        }
        let flopsPerStep = 3 * model.forwardFlopsPerFrame(length: shape.frames) * Double(shape.batch * shape.frames)
        model.train()

        let label = shape.size == .small ? " small" : ""
        Benchmark("\(shape.name)\(label) train step \(shape.batch)x\(shape.frames)",
                  configuration: .init(metrics: [.wallClock, .peakMemoryResident, gflopsMetric], warmupIterations: 1,
                                       maxDuration: .seconds(60), maxIterations: shape.iterations)) { benchmark in
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in benchmark.scaledIterations { step.run(batch) }
            let elapsed = DispatchTime.now().uptimeNanoseconds - start
            benchmark.measurement(gflopsMetric, gflops(flopsPerStep * Double(benchmark.scaledIterations.count), elapsed))
        }
    }

    // One evaluation pass at small width as the harness's Evaluator scores a split: eval mode, no
    // gradients, weights packed once for the pass, one video per batch, longest first, two videos at once each on one thread
    // (`Threading.concurrentItems`), here 16 videos of 285 down to 60 frames (the synthetic set's val
    // split spans about that range).
    let evalLengths = (0..<16).map { 285 - 15 * $0 }
    for name in ["logonet", "csta", "edsnet", "videosage"] {
        let model: any SummaryModel
        let batches: [ModelBatch]
        do {
            model = try ModelRegistry.standard.make(ModelSpec(name: name, size: .small))
            let needs = model.contract.needs.subtracting(.keyshotSummary)
            batches = try randomVideos(lengths: evalLengths, width: model.inputDim, seed: 2).map { try ModelBatch(videos: [$0], needs: needs) }
        } catch {
            fatalError("ModelBenchmarks: cannot set up the \(name) evaluation pass: \(error)")
        }
        model.eval()
        Benchmark("\(name) small evaluation pass 16 videos",
                  configuration: .init(metrics: [.wallClock, .peakMemoryResident], warmupIterations: 1,
                                       maxDuration: .seconds(30), maxIterations: 20)) { benchmark in
            for _ in benchmark.scaledIterations {
                // A scoring pass, as the Evaluator's: the weights packed once per pass (`WeightPanels`).
                GradMode.withNoGrad {
                    WeightPanels.scoring {
                        Threading.concurrentItems(batches.count) { i in blackHole(model.frameScores(batches[i])) }
                    }
                }
            }
        }
    }
}
