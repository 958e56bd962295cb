import FileSupport
import Foundation

/// The video keys of each part of a data set. Keys are group names in the h5 file.
public struct DatasetSplit: Equatable, Sendable {
    public var train: [String]
    public var val: [String]
    public var test: [String]

    public init(train: [String], val: [String], test: [String]) {
        self.train = train
        self.val = val
        self.test = test
    }

    public enum Part: String, CaseIterable, Sendable {
        case train, val, test
    }

    public func keys(_ part: Part) -> [String] {
        switch part {
        case .train: return train
        case .val: return val
        case .test: return test
        }
    }

    /// Every key, train then val then test.
    public var allKeys: [String] { train + val + test }

    /// Throws `DataError.duplicateKey` for the first key that appears twice (within or across parts).
    public func checkDisjoint(file: String) throws {
        var seen: [String: String] = [:]
        for part in Part.allCases {
            for key in keys(part) {
                if let earlier = seen[key] {
                    throw DataError.duplicateKey(file: file, video: key, splits: [earlier, part.rawValue])
                }
                seen[key] = part.rawValue
            }
        }
    }
}

extension DatasetSplit {
    /// What a split must give a run beyond disjoint keys: for MR.HiSum, validation videos (the epoch is
    /// chosen on them). The eccv16 splits have none by design; their runs use the last epoch.
    public func checkUsable(layout: DatasetLayout, file: String) throws {
        if layout == .mrHiSum && val.isEmpty { throw DataError.noValidationVideos(file: file) }
    }
}

/// Reads split files: MR.HiSum's `{"train_keys", "val_keys", "test_keys"}` object, or the eccv16 sets'
/// list of `{"train_keys", "test_keys"}` objects (one chosen by index; these have no validation part).
public enum SplitFile {
    public static func read(_ url: URL, index: Int = 0) throws -> DatasetSplit {
        let file = url.path
        guard FileManager.default.fileExists(atPath: file) else { throw DataError.missingFile(file: file) }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw DataError.badSplitFile(file: file, reason: "cannot read: \(error.localizedDescription)")
        }
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: data) } catch {
            throw DataError.badSplitFile(file: file, reason: "not valid JSON")
        }
        let object: [String: Any]
        if let list = json as? [Any] {
            guard index >= 0, index < list.count else {
                throw DataError.badSplitFile(file: file, reason: "split index \(index) out of 0..<\(list.count)")
            }
            guard let chosen = list[index] as? [String: Any] else {
                throw DataError.badSplitFile(file: file, reason: "split \(index) is not an object")
            }
            object = chosen
        } else if let single = json as? [String: Any] {
            guard index == 0 else {
                throw DataError.badSplitFile(file: file, reason: "holds one split, but split index \(index) was asked")
            }
            object = single
        } else {
            throw DataError.badSplitFile(file: file, reason: "expected an object or a list of objects")
        }
        func keys(_ name: String, required: Bool) throws -> [String] {
            guard let value = object[name] else {
                if required { throw DataError.badSplitFile(file: file, reason: "no \"\(name)\"") }
                return []
            }
            guard let list = value as? [String] else {
                throw DataError.badSplitFile(file: file, reason: "\"\(name)\" is not a list of strings")
            }
            return list.map(groupName)
        }
        let split = DatasetSplit(train: try keys("train_keys", required: true),
                                 val: try keys("val_keys", required: false),
                                 test: try keys("test_keys", required: true))
        try split.checkDisjoint(file: file)
        return split
    }

    /// Writes MR.HiSum's split object (keys in the given order).
    public static func writeMRHiSum(_ split: DatasetSplit, to url: URL) throws {
        let object: [String: [String]] = ["train_keys": split.train, "val_keys": split.val, "test_keys": split.test]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        try AtomicFile.write(data, to: url)
    }

    /// Some published eccv16 splits write keys as paths (`.../eccv16_dataset_summe_google_pool5.h5/video_1`);
    /// the group name is the last component.
    static func groupName(_ key: String) -> String {
        key.split(separator: "/").last.map(String.init) ?? key
    }
}
