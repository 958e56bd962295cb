import Foundation

/// DSNet's inference from head outputs to per-frame scores (li-plus/DSNet `anchor_based/dsnet.py`
/// `predict`, `anchor_helper.offset2bbox`, `bbox_helper.cw2lr` and `nms`, `evaluate.py`,
/// `vsumm_helper.bbox2summary`'s score step), in numpy's precisions.
public enum DSNetDecoding {
    /// A kept box [left, right) in frames and its class score.
    public struct Box: Equatable, Sendable {
        public var left: Int
        public var right: Int
        public var score: Float
        public init(left: Int, right: Int, score: Float) {
            self.left = left
            self.right = right
            self.score = score
        }
    }

    /// Boxes from anchors (frame i, scale s) and offsets: centre = o_c s + i and width = exp(o_w) s in
    /// float64 (numpy promotes float32 x int32 to float64; exp itself runs in float32), cast to float32,
    /// left/right = centre -+ width / 2 in float32, clipped to [0, T] (np.clip) and rounded half to even
    /// (np.round).
    /// `offsets` holds (o_c, o_w) per anchor, frame-major, scale-minor.
    public static func decode(offsets: [Float], length t: Int, scales: [Int]) -> [(left: Int, right: Int)] {
        precondition(offsets.count == 2 * t * scales.count, "decode: \(offsets.count) offsets for \(t) frames x \(scales.count) scales")
        var boxes: [(left: Int, right: Int)] = []
        boxes.reserveCapacity(t * scales.count)
        let limit = Float(t)
        for i in 0..<t {
            for (k, s) in scales.enumerated() {
                let a = i * scales.count + k
                let centre = Float(Double(offsets[2 * a]) * Double(s) + Double(i))
                let width = Float(Double(Foundation.exp(offsets[2 * a + 1])) * Double(s))
                let left = centre - width / 2, right = centre + width / 2
                // A NaN offset (a diverged model) gives an empty box, which NMS drops.
                guard !left.isNaN && !right.isNaN else { boxes.append((0, 0)); continue }
                func snap(_ v: Float) -> Int { Int(Swift.min(Swift.max(v, 0), limit).rounded(.toNearestOrEven)) }
                boxes.append((snap(left), snap(right)))
            }
        }
        return boxes
    }

    /// Greedy NMS (`bbox_helper.nms`): boxes whose left edge is not left of their right are dropped,
    /// the rest visited by descending score, each kept box removing every remaining box with IoU >= `threshold`
    /// (IoU of integer boxes in float64). Ties in score: the higher anchor index first, which is what
    /// reversing a stable ascending argsort gives (numpy's default sort is not stable beyond 16 items,
    /// so the official order of ties is unspecified; this is the stable reading of it).
    public static func nms(scores: [Float], boxes: [(left: Int, right: Int)], threshold: Double = 0.5) -> [Box] {
        precondition(scores.count == boxes.count, "nms: \(scores.count) scores for \(boxes.count) boxes")
        var order = boxes.indices.filter { boxes[$0].left < boxes[$0].right }
        order.sort { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 > $1 }
        var remaining = order.map { Box(left: boxes[$0].left, right: boxes[$0].right, score: scores[$0]) }
        var kept: [Box] = []
        while let top = remaining.first {
            kept.append(top)
            remaining = remaining.filter { iou(top, $0) < threshold }
        }
        return kept
    }

    static func iou(_ a: Box, _ b: Box) -> Double {
        let intersection = Swift.max(Swift.min(a.right, b.right) - Swift.max(a.left, b.left), 0)
        let union = Swift.max(a.right, b.right) - Swift.min(a.left, b.left)
        return Double(intersection) / (union <= 0 ? 1e-6 : Double(union))
    }

    /// Each frame's score: the largest score of the kept boxes covering it, 0 where none does.
    public static func frameScores(kept: [Box], length t: Int) -> [Float] {
        var scores = [Float](repeating: 0, count: t)
        for box in kept {
            for i in Swift.max(box.left, 0)..<Swift.min(box.right, t) { scores[i] = Swift.max(scores[i], box.score) }
        }
        return scores
    }

    /// The whole inference of one video: head outputs (class scores per anchor, offsets) -> frame scores.
    public static func frameScores(classScores: [Float], offsets: [Float], length t: Int, scales: [Int],
                                   nmsThreshold: Double = 0.5) -> [Float] {
        let boxes = decode(offsets: offsets, length: t, scales: scales)
        return frameScores(kept: nms(scores: classScores, boxes: boxes, threshold: nmsThreshold), length: t)
    }
}
