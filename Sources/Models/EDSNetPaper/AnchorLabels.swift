import Foundation
import TensorCore

/// DSNet's anchor-based training targets (li-plus/DSNet `anchor_based/anchor_helper.py`,
/// `anchor_based/train.py`, `helpers/bbox_helper.py`), with the arithmetic in the precisions numpy uses
/// there, so the labels are the official ones bit for bit:
/// - anchors: for frame i and scale s the centre-width box (i, s), i.e. [i - s/2, i + s/2);
/// - ground truth: each run of consecutive 1s of the keyshot summary, [start, end) -> centre-width in float32;
/// - IoU in float32 (the boxes convert to left-right in float32, exactly: half-integers);
/// - positives: IoU > 0.6 with some segment (strictly greater, as `np.where(iou > thresh)`; the
///   threshold compares as float32, numpy's rule for a Python float against a float32 array); location
///   label of a positive from its (last) segment: ((c_t - c_a) / w_a, log(w_t / w_a)) in float64, stored as float32;
/// - negatives: int(2 x positives) anchors drawn from those with IoU = 0 to every segment;
/// - "incomplete": int(1 x positives) anchors drawn from those with 0 < IoU <= 0.3, labelled negative too.
/// The official code draws both with `np.random.shuffle`; here one seeded xoshiro256** generator does a
/// Fisher-Yates shuffle of the candidates (negatives first, then incomplete ones) and the first k are
/// taken, a rule the PyTorch reference reimplements exactly (tools/reference/paper_edsnet.py).
public struct DSNetAnchorLabels: Equatable, Sendable {
    /// Per anchor (frame-major, scale-minor): 1 positive, -1 negative (sampled), 0 ignored.
    public var classes: [Int]
    /// Per anchor (centre offset, log-width offset); zero except at positives.
    public var offsets: [Float]
    public var positives: Int { classes.reduce(0) { $0 + ($1 == 1 ? 1 : 0) } }

    public static let positiveIoU: Float = 0.6
    public static let negativeIoU: Float = 0.0
    public static let incompleteIoU: Float = 0.3
    public static let negativeRatio = 2.0
    public static let incompleteRatio = 1.0

    /// [start, end) of every run of 1s (`bbox_helper.seq2bbox`).
    public static func segments(of summary: [Float]) -> [(start: Int, end: Int)] {
        var out: [(start: Int, end: Int)] = []
        var start: Int? = nil
        for (i, v) in summary.enumerated() {
            if v != 0 { if start == nil { start = i } } else if let s = start { out.append((s, i)); start = nil }
        }
        if let s = start { out.append((s, summary.count)) }
        return out
    }

    /// IoU of two left-right boxes in float32 (`bbox_helper.iou_lr`).
    @inline(__always)
    static func iou(_ l0: Float, _ r0: Float, _ l1: Float, _ r1: Float) -> Float {
        let intersection = Swift.max(Swift.min(r0, r1) - Swift.max(l0, l1), 0)
        var union = Swift.max(r0, r1) - Swift.min(l0, l1)
        if union <= 0 { union = 1e-6 }
        return intersection / union
    }

    /// `get_pos_label`: 1 where the anchor's IoU with some segment exceeds `threshold`, and the offsets.
    static func positiveLabels(length t: Int, scales: [Int], segments: [(start: Int, end: Int)],
                               threshold: Float) -> (classes: [Int], offsets: [Float]) {
        var classes = [Int](repeating: 0, count: t * scales.count)
        var offsets = [Float](repeating: 0, count: 2 * classes.count)
        for segment in segments {
            // lr2cw in float32, then cw2lr back in float32 (exact for integer ends).
            let l = Float(segment.start), r = Float(segment.end)
            let centre = (l + r) / 2, width = r - l
            let left = centre - width / 2, right = centre + width / 2
            for i in 0..<t {
                for (k, s) in scales.enumerated() {
                    let ac = Float(i), aw = Float(s)
                    guard iou(ac - aw / 2, ac + aw / 2, left, right) > threshold else { continue }
                    let a = i * scales.count + k
                    classes[a] = 1
                    offsets[2 * a] = Float((Double(centre) - Double(i)) / Double(s))
                    offsets[2 * a + 1] = Float(Foundation.log(Double(width) / Double(s)))
                }
            }
        }
        return (classes, offsets)
    }

    /// `get_neg_label`: `count` of the anchors labelled 0 become -1, the first `count` of a seeded shuffle.
    static func sampleNegatives(_ classes: [Int], count: Int, generator: inout SeededGenerator) -> [Int] {
        var labels = classes.map { $0 < 0 ? 0 : $0 }
        var candidates = labels.indices.filter { labels[$0] == 0 }
        generator.shuffle(&candidates)
        for a in candidates.prefix(count) { labels[a] = -1 }
        return labels
    }

    /// The labels of one video from its keyshot summary (one 0/1 value per frame) and a sampling seed.
    public init(summary: [Float], scales: [Int], seed: UInt64) {
        let t = summary.count
        let segments = Self.segments(of: summary)
        let (positive, offsets) = Self.positiveLabels(length: t, scales: scales, segments: segments, threshold: Self.positiveIoU)
        let positives = positive.reduce(0) { $0 + ($1 == 1 ? 1 : 0) }
        var generator = SeededGenerator(seed: seed)
        let touching = Self.positiveLabels(length: t, scales: scales, segments: segments, threshold: Self.negativeIoU).classes
        let negatives = Self.sampleNegatives(touching, count: Int(Self.negativeRatio * Double(positives)), generator: &generator)
        var incomplete = Self.positiveLabels(length: t, scales: scales, segments: segments, threshold: Self.incompleteIoU).classes
        for a in incomplete.indices where negatives[a] != 1 { incomplete[a] = 1 }
        incomplete = Self.sampleNegatives(incomplete, count: Int(Self.incompleteRatio * Double(positives)), generator: &generator)
        var classes = positive
        for a in classes.indices where negatives[a] == -1 || incomplete[a] == -1 { classes[a] = -1 }
        self.classes = classes
        self.offsets = offsets
    }

    public init(classes: [Int], offsets: [Float]) {
        self.classes = classes
        self.offsets = offsets
    }
}
