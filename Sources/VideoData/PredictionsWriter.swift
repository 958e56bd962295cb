import FileSupport
import Foundation

/// Writes `predictions.h5`: one group per video with `pred` (n,) float32 and `gtscore` (n,) float32,
/// and for eccv16 data `machine_summary` (n_frames,) float32 0/1, the frame-level keyshot summary the
/// F1 was computed from, so the metrics can be recomputed with other tools. Everything goes to a temporary file that
/// `commit()` renames into place; until then (and if anything fails) the destination is untouched,
/// and an abandoned writer deletes its temporary file.
public final class PredictionsWriter {
    public let destination: URL
    private let temporary: URL
    private let overwrite: Bool
    private var file: HDF5File?
    private var written: Set<String> = []

    public init(destination: URL, overwrite: Bool = false) throws {
        if !overwrite && FileManager.default.fileExists(atPath: destination.path) {
            throw DataError.destinationExists(path: destination.path)
        }
        self.destination = destination
        self.overwrite = overwrite
        temporary = AtomicFile.temporarySibling(of: destination)
        file = try VideoDatasets.wrapped { try HDF5File.create(temporary) }
    }

    /// Adds one video. Predictions and scores must be non-empty, of equal length and finite.
    public func write(key: String, pred: [Float], gtscore: [Float], machineSummary: [Bool]? = nil) throws {
        guard let file else { throw DataError.invalidConfiguration(reason: "predictions writer already finished") }
        let path = destination.path
        if written.contains(key) { throw DataError.duplicateKey(file: path, video: key, splits: ["predictions"]) }
        if pred.isEmpty { throw DataError.emptyVideo(file: path, video: key) }
        guard pred.count == gtscore.count else {
            throw DataError.lengthMismatch(file: path, video: key, featureRows: pred.count, gtscoreLength: gtscore.count)
        }
        for (name, values) in [("pred", pred), ("gtscore", gtscore)] {
            if let index = values.firstIndex(where: { !$0.isFinite }) {
                throw DataError.nonFinite(file: path, video: key, dataset: name, index: index, value: values[index])
            }
        }
        try VideoDatasets.wrapped {
            let group = try file.root().createGroup(key)
            try group.write(pred, shape: [pred.count], to: "pred")
            try group.write(gtscore, shape: [gtscore.count], to: "gtscore")
            if let machineSummary {
                try group.write(machineSummary.map { $0 ? Float(1) : 0 }, shape: [machineSummary.count], to: "machine_summary")
            }
        }
        written.insert(key)
    }

    /// Closes the temporary file and renames it to the destination. Returns the destination.
    @discardableResult
    public func commit() throws -> URL {
        guard let file else { throw DataError.invalidConfiguration(reason: "predictions writer already finished") }
        self.file = nil
        do {
            try VideoDatasets.wrapped { try file.close() }
            try AtomicFile.publish(temporary, to: destination, overwrite: overwrite)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        return destination
    }

    /// Drops everything written so far; the destination is left as it was.
    public func abandon() {
        if let file { try? file.close() }
        file = nil
        try? FileManager.default.removeItem(at: temporary)
    }

    deinit {
        if file != nil { abandon() }
    }
}

/// Reads a `predictions.h5` back (videos in the file's name order).
public enum PredictionsFile {
    public struct Entry: Sendable {
        public let key: String
        public let pred: [Float]
        public let gtscore: [Float]
        /// The frame-level 0/1 summary (eccv16 data only).
        public let machineSummary: [Bool]?
    }

    public static func read(_ url: URL) throws -> [Entry] {
        let file = try DataFile.open(url)
        let root = try VideoDatasets.wrapped { try file.root() }
        return try VideoDatasets.wrapped { try root.memberNames() }.map { key in
            let reader = try DataFile.group(key, in: root, file: url.path)
            let pred = try reader.finiteFloats("pred")
            let gtscore = try reader.finiteFloats("gtscore")
            guard pred.count == gtscore.count else {
                throw DataError.lengthMismatch(file: url.path, video: key, featureRows: pred.count,
                                               gtscoreLength: gtscore.count)
            }
            let machine = try reader.has("machine_summary") ? reader.finiteFloats("machine_summary").map { $0 == 1 } : nil
            return Entry(key: key, pred: pred, gtscore: gtscore, machineSummary: machine)
        }
    }
}
