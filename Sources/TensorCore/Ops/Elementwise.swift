import CKernels

/// Clamp, select by mask, and dropout.
extension Tensor {
    /// Limits values to [low, high]; the gradient is zero where the input lies outside, as PyTorch.
    public func clamp(_ low: Float, _ high: Float) -> Tensor {
        checkArgument(low <= high, "clamp: low \(low) > high \(high)")
        let out = Tensor.empty(shape)
        let px = storage.pointer, po = out.storage.pointer
        parallelChunks(count) { s, e in for i in s..<e { po[i] = Swift.min(Swift.max(px[i], low), high) } }
        return out.recorded(from: [self]) { g in
            let gx = Tensor.empty(g.shape)
            let pg = g.storage.pointer, pgx = gx.storage.pointer
            parallelChunks(g.count) { s, e in
                for i in s..<e { pgx[i] = (px[i] >= low && px[i] <= high) ? pg[i] : 0 }
            }
            return [gx]
        }
    }

    /// `mask` (broadcastable to self; 1 = keep, 0 = replace) picks self where 1 and `value` where 0.
    public func maskedFill(keep mask: Tensor, with value: Float) -> Tensor {
        Tensor.where(mask, self, Tensor(scalar: value))
    }

    /// `condition` ? a : b, elementwise with broadcasting; `condition` holds 1 or 0. The unselected side
    /// gets a zero gradient.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        guard let shape = broadcastShapes(condition.shape, a.shape).flatMap({ broadcastShapes($0, b.shape) }) else {
            fatalError("where: shapes \(condition.shape), \(a.shape), \(b.shape) do not broadcast")
        }
        let full = Tensor.empty(shape)
        let c = Tensor(zeros: shape)
        binaryKernel(AddFunction.self, c, condition, into: c)
        let ax = Tensor(zeros: shape), bx = Tensor(zeros: shape)
        binaryKernel(AddFunction.self, ax, a, into: ax)
        binaryKernel(AddFunction.self, bx, b, into: bx)
        let pc = c.storage.pointer, pa = ax.storage.pointer, pb = bx.storage.pointer, po = full.storage.pointer
        parallelChunks(full.count) { s, e in for i in s..<e { po[i] = pc[i] != 0 ? pa[i] : pb[i] } }
        return full.recorded(from: [a, b]) { g in
            let pc = c.storage.pointer
            let ga = Tensor.empty(shape), gb = Tensor.empty(shape)
            let pg = g.storage.pointer, pga = ga.storage.pointer, pgb = gb.storage.pointer
            for i in 0..<g.count {
                let keep = pc[i] != 0
                pga[i] = keep ? pg[i] : 0
                pgb[i] = keep ? 0 : pg[i]
            }
            return [a.needsGrad ? a.reducedGradient(ga) : nil, b.needsGrad ? b.reducedGradient(gb) : nil]
        }
    }

    /// Zeroes every position that `mask` marks as padding, for a tensor that carries time on `timeAxis`:
    /// self is (B, ..., T, ...) with T at `timeAxis`, `mask` is (B, T) with 1 = real frame, 0 = padding.
    /// Convolutions over time read their neighbours, so zeroing padded frames first makes a padded video
    /// see exactly the zero padding it would see alone. Returns self when nothing is padded.
    public func zeroingPadding(mask: Tensor, timeAxis: Int) -> Tensor {
        let axis = normalizedAxis(timeAxis, rank: rank, op: "zeroingPadding")
        checkArgument(axis >= 1 && mask.rank == 2 && mask.shape[0] == shape[0] && mask.shape[1] == shape[axis],
                      "zeroingPadding: mask of shape \(mask.shape) does not fit a tensor of shape \(shape) with time on axis \(axis)")
        if (0..<mask.count).allSatisfy({ mask.storage.pointer[$0] != 0 }) { return self }
        let (b, t) = (mask.shape[0], mask.shape[1])
        let outer = shape[1..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
        // Row r = ((video, outer index), frame) of `inner` contiguous elements; keep[r] is its mask entry.
        let rows = b * outer * t
        let apply = { (source: UnsafeMutablePointer<Float>, target: UnsafeMutablePointer<Float>) in
            let pm = mask.storage.pointer   // captures the mask tensor, which the backward pass outlives otherwise
            parallelChunks(rows, grain: Swift.max(1, 32_768 / Swift.max(inner, 1))) { s, e in
                for r in s..<e {
                    let video = r / (outer * t), frame = r % t
                    let row = target + r * inner, from = source + r * inner
                    if pm[video * t + frame] != 0 { row.update(from: from, count: inner) } else { row.update(repeating: 0, count: inner) }
                }
            }
        }
        let out = Tensor.empty(shape)
        apply(storage.pointer, out.storage.pointer)
        return out.recorded(from: [self]) { g in
            let gx = Tensor.empty(g.shape)
            apply(g.storage.pointer, gx.storage.pointer)
            return [gx]
        }
    }

    /// Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p).
    /// The identity when not training or p == 0. The mask comes from `rng` as `DropoutKeepFlags` draws it,
    /// kept as bytes for the backward pass. For packed rows (R, ...) of `packed` sequences, the mask is
    /// the one the padded batch (B, T, ...) would draw, at the real rows: packing changes no draw.
    public func dropout(_ p: Float, training: Bool, rng: RandomSource, packed: PackedSequences? = nil) -> Tensor {
        checkArgument(p >= 0 && p < 1, "dropout: probability \(p) not in [0, 1)")
        if !training || p == 0 { return self }
        let n = count
        let mask = DropoutKeepFlags(for: self, p: p, rng: rng, packed: packed, op: "dropout")
        let scale = 1 / (1 - p)
        let out = Tensor.empty(shape)
        let px = storage.pointer, po = out.storage.pointer, keep = mask.flags
        // Multiplying by the 0/1 flag (not selecting) keeps the loop vectorisable.
        parallelChunks(n) { s, e in for i in s..<e { po[i] = px[i] * (Float(keep[i]) * scale) } }
        return out.recorded(from: [self]) { g in
            let gx = Tensor.empty(g.shape)
            let pg = g.storage.pointer, pgx = gx.storage.pointer, keep = mask.flags
            parallelChunks(n) { s, e in for i in s..<e { pgx[i] = pg[i] * (Float(keep[i]) * scale) } }
            return [gx]
        }
    }
}

/// Dropout's keep flags for `count` elements, one byte per element (1 = keep). One value of the model's
/// stream seeds the mask; each block of 64k elements then draws from its own generator derived from that
/// seed and the block index, so blocks fill in parallel and the mask depends on the seed alone, not on
/// the thread count. Each 64-bit draw gives two 24-bit uniforms (bits 40-63 and 16-39); an element is
/// dropped when its uniform is below p (compared as integers with ceil(p 2^24)).
final class DropoutKeepFlags: @unchecked Sendable {
    let flags: UnsafeMutablePointer<UInt8>
    /// The flags live in a `BufferPool` block, like tensors: a training step's masks (a quarter of its
    /// activations' bytes) reuse the last step's pages instead of faulting in fresh ones.
    private let blockBytes: Int
    static let block = 1 << 16

    /// Flags for every element of `x`. With `packed`, x holds packed rows (R, ...), and the flags are
    /// those of the padded batch's elements at its real rows (drawn for the whole padded batch, then
    /// compacted).
    convenience init(for x: Tensor, p: Float, rng: RandomSource, packed: PackedSequences?, op: String) {
        guard let packed else {
            self.init(count: x.count, p: p, rng: rng)
            return
        }
        checkArgument(x.rank >= 1 && x.shape[0] == packed.rows, "\(op): a tensor of shape \(x.shape) is not the \(packed.rows) packed rows")
        let width = x.count / Swift.max(packed.rows, 1)
        guard packed.hasPadding else {
            self.init(count: x.count, p: p, rng: rng)
            return
        }
        self.init(count: packed.batch * packed.paddedLength * width, p: p, rng: rng)
        // Sequences in order: each packed run lies at or before its padded place, so moving the runs
        // front to back never overwrites flags still to be moved.
        for (s, n) in packed.lengths.enumerated() {
            UnsafeMutableRawPointer(flags + packed.offsets[s] * width)
                .copyMemory(from: flags + s * packed.paddedLength * width, byteCount: n * width)   // memmove
        }
    }

    init(count: Int, p: Float, rng: RandomSource) {
        let storage = BufferPool.allocate(bytes: Swift.max(count, 1))
        flags = storage.pointer.bindMemory(to: UInt8.self, capacity: Swift.max(count, 1))
        blockBytes = storage.bytes
        let threshold = UInt64((Double(p) * 16_777_216).rounded(.up))
        let seed = rng.withGenerator { $0.next() }
        let flags = flags, block = Self.block
        // CKernels steps eight blocks' generators side by side: threads take whole groups of eight.
        let blocks = (count + block - 1) / block, lanes = 8
        parallelChunks((blocks + lanes - 1) / lanes, grain: 1) { first, last in
            ck_dropout_keep_flags(seed, first * lanes, Swift.min(blocks, last * lanes), block, count, threshold, flags)
        }
    }

    deinit { BufferPool.release(UnsafeMutableRawPointer(flags), bytes: blockBytes) }
}

/// A shared, seeded random stream for the layers of one model (dropout draws in call order), so a run is
/// reproducible for its seed.
public final class RandomSource: @unchecked Sendable {
    private var generator: SeededGenerator

    public init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    public func withGenerator<R>(_ body: (inout SeededGenerator) -> R) -> R { body(&generator) }

    /// A new independent stream derived from this one.
    public func split() -> RandomSource { RandomSource(seed: withGenerator { $0.next() }) }

    /// Moves this stream onto another one derived from where it stands and `salt` (each rank of a
    /// data-parallel run its own dropout stream, from the same seed).
    public func rederive(salt: UInt64) {
        withGenerator { generator in generator = SeededGenerator(seed: SplitMix64.derive(generator.next(), salt)) }
    }
}
