import Foundation
import Testing
@testable import TensorCore

@Suite("Clear errors") struct ErrorMessageTests {
    /// A caller's shape mistake stops the process with a message naming the op and the shapes.
    @Test func zeroingPaddingNamesTheShapes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor(zeros: [2, 4, 3]).zeroingPadding(mask: Tensor(zeros: [2, 4]), timeAxis: 2)
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("zeroingPadding: mask of shape [2, 4] does not fit a tensor of shape [2, 4, 3] with time on axis 2"))
    }

    @Test func shapeMismatchNamesOpAndShapes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor(zeros: [2, 3]).matmul(Tensor(zeros: [4, 5]))
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("matmul: inner dimensions differ: [2, 3] x [4, 5]"))
    }

    @Test func broadcastMismatch() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor(zeros: [2, 3]) + Tensor(zeros: [4])
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("add: shapes [2, 3] and [4] do not broadcast"))
    }

    @Test func checkpointKeysAreReportedByName() throws {
        let rng = RandomSource(seed: 1)
        let layer = Linear(3, 2, rng: rng)
        let before = layer.weight.values
        let error = #expect(throws: StateDictError.self) {
            try layer.loadState(["weight": (shape: [2, 4], values: [Float](repeating: 0, count: 8)),
                                 "extra": (shape: [1], values: [0])])
        }
        #expect(error?.missing == ["bias"])
        #expect(error?.unexpected == ["extra"])
        #expect(error?.misshaped == ["weight: file [2, 4], model [2, 3]"])
        // Nothing was written by the failed load.
        #expect(layer.weight.values == before)
    }

    @Test func checkpointRoundTripThroughZstd() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = BatchNorm(4), b = BatchNorm(4)
        a.weight.assign([1, 2, 3, 4])
        a.runningVar.assign([5, 6, 7, 8])
        let url = dir.appendingPathComponent("m.safetensors.zst")
        try a.saveCheckpoint(to: url, metadata: ["model": "bn"])
        let meta = try b.loadCheckpoint(from: url)
        #expect(meta["model"] == "bn")
        #expect(b.weight.values == [1, 2, 3, 4])
        #expect(b.runningVar.values == [5, 6, 7, 8])
        // A truncated checkpoint is an error, not a crash, and leaves the module untouched.
        let data = try Data(contentsOf: url)
        try data.prefix(data.count / 2).write(to: url)
        #expect(throws: (any Error).self) { try BatchNorm(4).loadCheckpoint(from: url) }
    }
}
