import Foundation
import Models
import Testing
@testable import Harness

/// The per-model schedules against schedules.md, and the learning rate per epoch against its formula
/// written out here independently.
struct ScheduleTableTests {
    /// schedules.md: warm-up epoch e < W uses peak (e + 1) / W; then 1e-7 + (peak - 1e-7)(1 + cos(pi (e - W) / (E - W))) / 2.
    static func expectedRate(peak: Double, warmup: Int, epochs: Int, epoch e: Int) -> Double {
        if e < warmup { return peak * Double(e + 1) / Double(warmup) }
        return 1e-7 + (peak - 1e-7) * (1 + cos(Double.pi * Double(e - warmup) / Double(epochs - warmup))) / 2
    }

    @Test(arguments: [("logonet", 8, 2, 50, 1e-4, 10, 0.5), ("csta", 4, 1, 50, 3e-4, 3, 1.0),
                      ("videosage", 512, 1, 50, 5e-4, 5, 1.0)])
    func warmupCosineSchedules(model: String, batch: Int, accumulation: Int, epochs: Int, peak: Double, warmup: Int, clip: Double) throws {
        let s = try ModelRegistry.standard.publishedSchedule(model, .report)
        #expect(s.batchSize == batch && s.gradientAccumulation == accumulation && s.epochs == epochs)
        #expect(s.peakLearningRate == peak && s.gradientClip == clip && s.dropout == 0.5)
        #expect(s.learningRateShape == .warmupCosine(warmupEpochs: warmup, minLearningRate: 1e-7))
        #expect(s.earlyStoppingPatience == 10 && s.loss == .maskedMSE)
        for e in 0..<epochs {
            let expected = Self.expectedRate(peak: peak, warmup: warmup, epochs: epochs, epoch: e)
            #expect(abs(s.learningRate(epoch: e) - expected) <= 1e-12 * peak, "\(model) epoch \(e)")
        }
    }

    @Test func tableValuesAtKeyEpochs() throws {
        let logonet = try ModelRegistry.standard.publishedSchedule("logonet", .report)
        #expect(abs(logonet.learningRate(epoch: 0) - 1e-5) < 1e-15)      // first warm-up epoch: peak / 10, not 0
        #expect(abs(logonet.learningRate(epoch: 9) - 1e-4) < 1e-15)      // end of warm-up reaches the table's peak
        #expect(abs(logonet.learningRate(epoch: 10) - 1e-4) < 1e-15)     // cosine starts at the peak
        #expect(abs(logonet.learningRate(epoch: 30) - (1e-7 + (1e-4 - 1e-7) / 2)) < 1e-15)  // half way down
        #expect(logonet.optimizer == .adamW && logonet.weightDecay == 1e-4)
        let csta = try ModelRegistry.standard.publishedSchedule("csta", .report)
        #expect(csta.optimizer == .adam && csta.weightDecay == 1e-7)
        #expect(abs(csta.learningRate(epoch: 0) - 1e-4) < 1e-15)
        let sage = try ModelRegistry.standard.publishedSchedule("videosage", .report)
        #expect(sage.optimizer == .adam && sage.weightDecay == 0)
    }

    @Test func edsnetIsFixed() throws {
        let s = try ModelRegistry.standard.publishedSchedule("edsnet", .report)
        #expect(s.batchSize == 112 && s.epochs == 300 && s.gradientClip == 1.0 && s.optimizer == .adam)
        for e in [0, 1, 150, 299] { #expect(s.learningRate(epoch: e) == 5e-5) }
    }

    @Test func paperSchedules() throws {
        let registry = ModelRegistry.standard
        let csta = try registry.publishedSchedule("csta", .paper)
        #expect(csta.batchSize == 1 && csta.epochs == 100 && csta.peakLearningRate == 1e-3 && csta.weightDecay == 1e-7)
        #expect(csta.learningRate(epoch: 57) == 1e-3 && csta.gradientClip == nil && csta.loss == .maskedMSE)
        let tvsum = try registry.publishedSchedule("videosage", .paper)
        let summe = try registry.publishedSchedule("videosage", .paper, options: ["config": "summe"])
        #expect(tvsum.batchSize == 1 && tvsum.epochs == 50 && tvsum.peakLearningRate == 0.02 && tvsum.weightDecay == 1e-4)
        #expect(summe.batchSize == 1 && summe.epochs == 40 && summe.peakLearningRate == 1e-3 && summe.weightDecay == 3e-3)
        #expect(tvsum.optimizer == .adam && tvsum.gradientClip == nil)
        // CosineAnnealingLR, T_max 5: lr at e is (1 + cos(pi e / 5)) / 2 x lr, oscillating past T_max.
        for e in 0..<12 {
            #expect(abs(tvsum.learningRate(epoch: e) - 0.02 * (1 + cos(Double.pi * Double(e) / 5)) / 2) < 1e-15)
        }
        #expect(tvsum.loss == .bceWithLogits)
        let edsnet = try registry.publishedSchedule("edsnet", .paper)
        #expect(edsnet.loss == .anchorClassificationLocation && edsnet.batchSize == 1 && edsnet.epochs == 300)
        #expect(edsnet.peakLearningRate == 5e-5 && edsnet.weightDecay == 1e-5 && edsnet.learningRate(epoch: 299) == 5e-5)
    }

    /// LoGoNet's own publication is the report, so its paper variant trains the same schedule.
    @Test func logonetPaperIsTheReport() throws {
        let paper = try ModelRegistry.standard.publishedSchedule("logonet", .paper)
        #expect(paper == (try ModelRegistry.standard.publishedSchedule("logonet", .report)))
    }

    @Test func overridesAreRecorded() throws {
        let published = try ModelRegistry.standard.publishedSchedule("csta", .report)
        let (used, changes) = ScheduleOverrides(epochs: 3, learningRate: 1e-3, gradientClip: 2).apply(to: published)
        #expect(used.epochs == 3 && used.peakLearningRate == 1e-3 && used.gradientClip == 2)
        #expect(used.batchSize == published.batchSize)
        #expect(changes == [ScheduleOverride(name: "epochs", published: "50", used: "3"),
                            ScheduleOverride(name: "learning_rate", published: "0.0003", used: "0.001"),
                            ScheduleOverride(name: "gradient_clip", published: "1.0", used: "2.0")])
        // The cosine is stretched over the overridden number of epochs.
        #expect(abs(used.learningRate(epoch: 2) - 1e-3) < 1e-15)
        #expect(ScheduleOverrides().apply(to: published).1.isEmpty)
    }

    @Test func invalidValuesAreRejected() {
        var s = TestData.schedule()
        s.batchSize = 0
        #expect(throws: ModelError.invalidSchedule("batch size 0 must be at least 1")) { try s.validate() }
        s = TestData.schedule()
        s.dropout = 1
        #expect(throws: ModelError.self) { try s.validate() }
    }
}
