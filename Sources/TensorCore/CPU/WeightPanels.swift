import CKernels
import Synchronization

/// Products against a model's weights while it scores videos: inside `WeightPanels.scoring`, a product
/// whose right operand is a parameter runs in `ck_panel_gemm` on that weight packed once for the whole
/// pass, instead of OpenBLAS packing the same weight (and the rows) again for every video.
///
/// Why: evaluation scores one video (a few hundred rows) at a time, and at those sizes OpenBLAS spent
/// a tenth of VideoSAGE's and EDSNet's scoring packing operands (perf); with the weights packed once, the
/// kernel multiplies 130-row blocks at 206-239 GFLOP/s on one core against OpenBLAS's 140-183. And its
/// bits do not depend on the rows multiplied with a row, so a batch of videos scores each video exactly
/// as alone (OpenBLAS's kernels change with the matrix's size and rounded some rows differently).
/// A training step uses it for its largest products only (`training`); everything else keeps OpenBLAS.
public enum WeightPanels {
    /// The packed weights of the scoring pass running on this task; nil outside one.
    @TaskLocal static var scope: Scope?

    /// Runs `body`, a scoring pass (no parameter changed meanwhile), with its products against parameters
    /// without gradients in the panel kernel; `body` alone where the CPU lacks AVX-512. The packed weights
    /// are freed when it returns.
    public static func scoring<R>(_ body: () throws -> R) rethrows -> R {
        guard ck_kernel_level() >= 2 else { return try body() }
        return try $scope.withValue(Scope(minimumRows: 1, withGradients: false)) { try body() }
    }

    /// Runs `body`, a training step's forward and backward (no parameter changed meanwhile), with its
    /// products against parameters over at least `trainingRows` rows in the panel kernel, gradients on or
    /// off (the forward's x Wᵀ and the backward's g W); `body` alone where the CPU lacks AVX-512.
    public static func training<R>(_ body: () throws -> R) rethrows -> R {
        guard ck_kernel_level() >= 2 else { return try body() }
        return try $scope.withValue(Scope(minimumRows: trainingRows, withGradients: true)) { try body() }
    }

    /// Each step packs its weights again (they change every step), which costs about what 200 of a
    /// product's rows do: from 4,096 rows on the packing is under 5% and the kernel wins (small VideoSAGE's
    /// 16,496-row step: 62 ms against 72 with OpenBLAS); at 512 rows (8 x 64 frames at published widths) it
    /// lost a third (EDSNet: 185 ms against 138), so those products stay OpenBLAS's.
    static let trainingRows = 4096

    /// How the product's right operand derives from the weight, which keys its panels.
    enum Form: Hashable {
        /// The weight as stored, (k, n).
        case asStored
        /// The weight transposed: stored (n, k), as `Linear` keeps (out, in).
        case transposed
        /// A temporal convolution's (O, C, K) weight regrouped tap-major and transposed, (O, K C).
        case tapMajor
    }

    final class Scope: Sendable {
        /// The fewest rows a product needs to run in the kernel.
        let minimumRows: Int
        /// Whether products recorded for gradients (and the backward's) run in the kernel too.
        let withGradients: Bool

        init(minimumRows: Int, withGradients: Bool) {
            self.minimumRows = minimumRows
            self.withGradients = withGradients
        }

        private struct Key: Hashable {
            let weight: ObjectIdentifier
            let form: Form
        }
        private let entries = Mutex<[Key: Panels]>([:])

        /// The weight's panels in `form`, packed from `b` on first use (by whichever thread asks first).
        func panels(weight: Tensor, form: Form, n: Int, k: Int, b: UnsafePointer<Float>, ldb: Int, transB: Bool) -> Panels {
            let key = Key(weight: ObjectIdentifier(weight), form: form)
            if let found = entries.withLock({ $0[key] }) { return found }
            let packed = Panels(weight: weight, n: n, k: k)
            ck_pack_panels(n, k, b, ldb, transB ? 1 : 0, packed.pointer)
            return entries.withLock { entries in
                if let found = entries[key] { return found }
                entries[key] = packed
                return packed
            }
        }
    }

    /// A weight in `ck_panel_gemm`'s panels. Holds the weight, so its identity (the key) stays its own.
    final class Panels: @unchecked Sendable {
        let weight: Tensor
        let pointer: UnsafeMutablePointer<Float>

        init(weight: Tensor, n: Int, k: Int) {
            self.weight = weight
            let count = Swift.max((n + 63) / 64 * 64 * k, 1)
            pointer = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
                .bindMemory(to: Float.self, capacity: count)
        }

        deinit { pointer.deallocate() }
    }

    /// C (m x n, row stride ldc) = A (m x k, row stride lda) op(B) (+ C when `accumulate`), where op(B)
    /// (b, ldb, transposed when `transB`) is `weight` in `form`: in the panel kernel when `weight` is a
    /// parameter and a pass runs that takes this product (`scoring`: gradients off; `training`:
    /// `trainingRows` rows or more), else in OpenBLAS. Counts `flops` (default the product's 2 m n k). The
    /// kernel's rows split over the threads in blocks of 6 (its own), which changes no bit.
    static func product(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, weight: Tensor, form: Form,
                        b: UnsafePointer<Float>, ldb: Int, transB: Bool,
                        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, flops: Int? = nil) {
        Accounting.addFlops(flops ?? 2 * m * n * k)
        guard let scope, weight.requiresGrad, m >= scope.minimumRows, scope.withGradients || !GradMode.isEnabled,
              m > 0, n > 0, k > 0 else {
            return gemmUncounted(false, transB, m: m, n: n, k: k, a, lda: lda, b, ldb: ldb, beta: accumulate ? 1 : 0, c, ldc: ldc)
        }
        let panels = scope.panels(weight: weight, form: form, n: n, k: k, b: b, ldb: ldb, transB: transB)
        let blocks = (m + 5) / 6
        parallelChunks(blocks, grain: Swift.max(1, 262_144 / Swift.max(6 * n * k, 1))) { first, last in
            ck_panel_gemm(first * 6, Swift.min(last * 6, m), n, k, a, lda, panels.pointer, c, ldc, accumulate ? 1 : 0)
        }
    }
}
