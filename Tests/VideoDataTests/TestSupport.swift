import Foundation
import Testing
@testable import VideoData

/// A fresh empty directory under the system temporary directory.
func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("videodata-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func fixture(_ name: String, _ ext: String) throws -> URL {
    try #require(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures"))
}

/// The contents of one video group for hand-made (often deliberately broken) test files.
struct VideoSpec {
    var rows = 6
    var width = 4
    var featureShape: [Int]?
    var features: [Float]?
    var gtscore: [Double]?
    var changePoints: [Int64] = [0, 2, 2, 6]
    var writeFeatures = true
    var writeGtscore = true

    func write(into root: HDF5Group, key: String) throws {
        let group = try root.createGroup(key)
        if writeFeatures {
            let values = features ?? (0..<(rows * width)).map { Float($0 % 7) / 7 }
            try group.write(values, shape: featureShape ?? [rows, width], to: "features")
        }
        if writeGtscore {
            let scores = gtscore ?? (0..<rows).map { Double($0) / Double(rows) }
            try group.write(scores, shape: [scores.count], to: "gtscore")
        }
        try group.write(changePoints, shape: [changePoints.count / 2, 2], to: "change_points")
    }
}

/// Writes `mr_hisum.h5` and `mr_hisum_split.json` into `directory`; every video is in the train split
/// unless `split` says otherwise. Returns the h5 and split URLs.
@discardableResult
func writeMRHiSum(_ videos: [(String, VideoSpec)], in directory: URL,
                  split: DatasetSplit? = nil) throws -> (data: URL, split: URL) {
    let data = directory.appendingPathComponent("mr_hisum.h5")
    let file = try HDF5File.create(data)
    do {
        let root = try file.root()
        for (key, spec) in videos { try spec.write(into: root, key: key) }
    }
    try file.close()
    let splitURL = directory.appendingPathComponent("mr_hisum_split.json")
    try SplitFile.writeMRHiSum(split ?? DatasetSplit(train: videos.map(\.0), val: [], test: []), to: splitURL)
    return (data, splitURL)
}

/// Opens a data set and reads every video of its split (what a training run does first to last).
func readEveryVideo(_ data: URL, _ split: URL, expectedFeatureWidth: Int? = nil) throws {
    let dataset = try VideoDatasets.open(data, splitFile: split, expectedFeatureWidth: expectedFeatureWidth)
    for key in dataset.split.allKeys { _ = try dataset.video(key) }
}

/// Spearman's rho as scipy.stats.spearmanr: Pearson correlation of average ranks (ties share the mean rank).
func spearman(_ a: [Double], _ b: [Double]) -> Double {
    func ranks(_ v: [Double]) -> [Double] {
        let order = v.indices.sorted { v[$0] < v[$1] }
        var result = [Double](repeating: 0, count: v.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && v[order[j + 1]] == v[order[i]] { j += 1 }
            for k in i...j { result[order[k]] = Double(i + j) / 2 + 1 }
            i = j + 1
        }
        return result
    }
    let (ra, rb) = (ranks(a), ranks(b))
    let n = Double(a.count)
    let (ma, mb) = (ra.reduce(0, +) / n, rb.reduce(0, +) / n)
    var covariance = 0.0, va = 0.0, vb = 0.0
    for i in ra.indices {
        covariance += (ra[i] - ma) * (rb[i] - mb)
        va += (ra[i] - ma) * (ra[i] - ma)
        vb += (rb[i] - mb) * (rb[i] - mb)
    }
    return covariance / (va * vb).squareRoot()
}
