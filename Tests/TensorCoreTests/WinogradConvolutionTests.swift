import CKernels
import Testing
@testable import TensorCore
import TestSupport

/// 3x3 convolutions with enough channels run as Winograd F(2x2, 3x3): values and all three gradients
/// against a direct convolution summed in double precision, and finite differences.
@Suite("Winograd 3x3 convolution") struct WinogradConvolutionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let n, c, o, h, w, padH, padW: Int
        var testDescription: String { "n\(n) c\(c) o\(o) \(h)x\(w) pad (\(padH), \(padW))" }
        var geometry: ConvGeometry {
            ConvGeometry(n: n, c: c, h: h, w: w, o: o, kh: 3, kw: 3, strideH: 1, strideW: 1,
                         padH: padH, padW: padW, dilH: 1, dilW: 1)
        }
    }
    static let cases: [Case] = [
        Case(n: 2, c: 16, o: 17, h: 6, w: 8, padH: 1, padW: 1),     // even output: whole tiles
        Case(n: 1, c: 18, o: 16, h: 7, w: 9, padH: 1, padW: 1),     // odd output: half tiles at the edges
        Case(n: 2, c: 16, o: 16, h: 5, w: 6, padH: 0, padW: 2),     // other paddings
        Case(n: 1, c: 20, o: 24, h: 3, w: 40, padH: 2, padW: 0),
        Case(n: 1, c: 16, o: 16, h: 8, w: 600, padH: 1, padW: 1),   // blocks of one tile row (three, the last short, in the weight gradient)
        Case(n: 2, c: 16, o: 19, h: 9, w: 37, padH: 1, padW: 1),    // whole groups of 8 tiles, then a short one
    ]

    /// y = b + Σ x w, and (for the upstream gradient gy) gx = Σ gy w, gw = Σ gy x, gb = Σ gy, in double.
    private static func direct(_ x: [Float], _ w: [Float], _ b: [Float], _ gy: [Float], _ k: Case)
        -> (y: [Double], gx: [Double], gw: [Double], gb: [Double]) {
        let g = k.geometry, (oh, ow) = (g.outH, g.outW)
        var y = [Double](repeating: 0, count: k.n * k.o * oh * ow)
        var gx = [Double](repeating: 0, count: x.count), gw = [Double](repeating: 0, count: w.count)
        var gb = [Double](repeating: 0, count: k.o)
        for n in 0..<k.n {
            for o in 0..<k.o {
                for i in 0..<oh {
                    for j in 0..<ow {
                        let yi = ((n * k.o + o) * oh + i) * ow + j
                        var acc = Double(b[o])
                        let up = Double(gy[yi])
                        gb[o] += up
                        for c in 0..<k.c {
                            for ki in 0..<3 {
                                for kj in 0..<3 {
                                    let (r, s) = (i + ki - k.padH, j + kj - k.padW)
                                    guard r >= 0, r < k.h, s >= 0, s < k.w else { continue }
                                    let xi = ((n * k.c + c) * k.h + r) * k.w + s, wi = ((o * k.c + c) * 3 + ki) * 3 + kj
                                    acc += Double(x[xi]) * Double(w[wi])
                                    gx[xi] += up * Double(w[wi])
                                    gw[wi] += up * Double(x[xi])
                                }
                            }
                        }
                        y[yi] = acc
                    }
                }
            }
        }
        return (y, gx, gw, gb)
    }

    @Test(arguments: cases) func matchesTheDirectConvolution(_ k: Case) {
        #expect(WinogradGeometry.forward(k.geometry) != nil, "the case must take the Winograd path")
        let x = randomTensor([k.n, k.c, k.h, k.w], seed: 1), w = randomTensor([k.o, k.c, 3, 3], seed: 2, scale: 0.3)
        let b = randomTensor([k.o], seed: 3)
        for t in [x, w, b] { t.requiresGrad = true }
        let (y, flops) = Accounting.countingFlops { x.conv2d(weight: w, bias: b, padding: (k.padH, k.padW)) }
        let gy = uniformTensor(y.shape, -1, 1, seed: 4)
        y.backward(seed: gy)
        let expected = Self.direct(x.values, w.values, b.values, gy.values, k)
        for (name, actual, reference) in [("output", y.values, expected.y), ("input gradient", x.grad!.values, expected.gx),
                                          ("weight gradient", w.grad!.values, expected.gw), ("bias gradient", b.grad!.values, expected.gb)] {
            let largest = reference.map(abs).max() ?? 0
            let error = zip(actual, reference).map { abs(Double($0) - $1) }.max() ?? 0
            #expect(actual.count == reference.count)
            #expect(error <= 1e-5 * largest, "\(name): max error \(error) against max \(largest)")
        }
        // The forward pass ran the 16 transformed products over whole tiles, not the 9-tap direct product.
        let g = k.geometry
        let tiles = ((g.outH + 1) / 2) * ((g.outW + 1) / 2)
        #expect(flops == Int64(2 * 16 * k.n * tiles * k.o * k.c))
    }

    @Test func finiteDifferences() {
        let k = Case(n: 1, c: 16, o: 16, h: 3, w: 4, padH: 1, padW: 1)
        #expect(WinogradGeometry.forward(k.geometry) != nil)
        let inputs = [randomTensor([k.n, k.c, k.h, k.w], seed: 5), randomTensor([k.o, k.c, 3, 3], seed: 6, scale: 0.3),
                      randomTensor([k.o], seed: 7)]
        checkGradients(inputs, step: 1e-2, atol: 2e-3, rtol: 1e-2) { $0[0].conv2d(weight: $0[1], bias: $0[2], padding: (1, 1)) }
    }

    /// The bias gradient sums each channel over images and positions in one sequential order: bit for bit the
    /// row sums of the transposed output gradient (the way it used to be computed), for channel counts
    /// with and without a remainder of 8.
    @Test(arguments: [5, 16, 19]) func biasGradientIsTheTransposedRowSum(_ o: Int) {
        let k = Case(n: 3, c: 16, o: o, h: 6, w: 10, padH: 1, padW: 1)
        let x = randomTensor([k.n, k.c, k.h, k.w], seed: 8), w = randomTensor([k.o, k.c, 3, 3], seed: 9)
        let b = randomTensor([k.o], seed: 10)
        b.requiresGrad = true
        let y = x.conv2d(weight: w, bias: b, padding: (k.padH, k.padW))
        let gy = uniformTensor(y.shape, -1, 1, seed: 11)
        y.backward(seed: gy)
        let expected = GradMode.withNoGrad { gy.permuted([1, 0, 2, 3]).reshaped([k.o, -1]).sum(axis: 1) }
        #expect(mismatches(b.grad!.values.map(\.bitPattern), expected.values.map(\.bitPattern)).none)
    }

    /// The three transforms in CKernels give the same bits at every level this CPU runs as at the baseline
    /// (they only add and subtract), over blocks with odd edges, a short last block and every padding.
    @Test(arguments: [1, 2]) func transformsAreTheSameAtEveryLevel(_ level: Int32) throws {
        try #require(level <= ck_kernel_level(), "this CPU does not run level \(level)")
        for (h, w, padH, padW) in [(9, 37, 1, 1), (6, 40, 0, 2), (7, 21, 2, 0)] {
            let g = WinogradGeometry(c: 1, h: h, w: w, o: 1, padH: padH, padW: padW)
            let x = uniformTensor([h, w], -1, 1, seed: 12).values
            let gy = uniformTensor([g.outH, g.outW], -1, 1, seed: 13).values
            let tiles = g.tilesH * g.tilesW, plane = tiles + 3
            let m = uniformTensor([16 * plane], -1, 1, seed: 14).values
            for (firstRow, rows) in [(0, g.tilesH), (1, g.tilesH - 1), (g.tilesH - 1, 1)] {
                func run(_ level: Int32) -> (v: [Float], out: [Float], dm: [Float]) {
                    var v = [Float](repeating: .nan, count: 16 * plane), dm = v
                    var out = [Float](repeating: .nan, count: g.outH * g.outW)
                    var scratch = [Float](repeating: .nan, count: ck_winograd_input_scratch(rows, g.tilesW))
                    ck_winograd_input_block_level(level, x, h, w, padW, 2 * firstRow - padH, rows, g.tilesW, &scratch, &v, plane)
                    ck_winograd_output_block_level(level, m, plane, firstRow, rows, g.tilesW, 0.25, &out, g.outH, g.outW)
                    ck_winograd_output_gradient_block_level(level, gy, g.outH, g.outW, firstRow, rows, g.tilesW, &dm, plane)
                    return (v, out, dm)
                }
                let (wide, baseline) = (run(level), run(0))
                for (name, a, b) in [("input", wide.v, baseline.v), ("output", wide.out, baseline.out),
                                     ("output gradient", wide.dm, baseline.dm)] {
                    #expect(mismatches(a.map(\.bitPattern), b.map(\.bitPattern)).none, "\(name) transform, \(h)x\(w) pad (\(padH), \(padW)), rows \(firstRow)+\(rows)")
                }
            }
        }
    }

    /// The 16 products of a block run side by side on single-threaded OpenBLAS: the bits of each product
    /// on one thread, whatever the count, for the forward/input-gradient shape (O x C by C x tiles) and the
    /// weight-gradient one (inner dimension tiles). With OpenBLAS's AVX-512 and generic kernels these are
    /// also the bits of each product split over two threads (it splits rows and columns, never the inner
    /// sum); its Haswell and Zen kernels round some elements of a split product differently.
    @Test func singleThreadedProductsGiveTheSameBits() {
        let splitKeepsTheBits = ["SkylakeX", "Cooperlake", "Prescott"].contains(BLASKernel.coreName)
        for (m, n, k, transB) in [(128, 1024, 32, false), (128, 32, 1024, true), (32, 1000, 16, false)] {
            let a = uniformTensor([16, m * k], -1, 1, seed: 15), b = uniformTensor([16, k * n], -1, 1, seed: 16)
            let ldb = transB ? k : n
            func products(_ run: (Int, (Int) -> Void) -> Void) -> [UInt32] {
                let c = uniformTensor([16, m * n], -1, 1, seed: 17)     // accumulated into (beta 1)
                run(16) { xi in
                    gemmUncounted(false, transB, m: m, n: n, k: k, a.storage.pointer + xi * m * k, lda: k,
                                  b.storage.pointer + xi * k * n, ldb: ldb, beta: 1, c.storage.pointer + xi * m * n, ldc: n)
                }
                return c.values.map(\.bitPattern)
            }
            func oneAfterAnother(_ count: Int, _ body: (Int) -> Void) { for i in 0..<count { body(i) } }
            let oneThread = Threading.withCount(1) { products(oneAfterAnother) }
            let (split, sideBySide) = Threading.withCount(2) {
                (products(oneAfterAnother), products { count, body in independentProducts(count, body) })
            }
            #expect(mismatches(sideBySide, oneThread).none, "\(m) x \(n) x \(k): against one thread's")
            if splitKeepsTheBits {
                #expect(mismatches(sideBySide, split).none, "\(m) x \(n) x \(k): against the split products'")
            }
        }
    }
}
