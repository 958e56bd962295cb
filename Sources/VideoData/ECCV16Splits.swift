import FileSupport
import Foundation

extension SplitFile {
    /// Every fold of an eccv16 5-split file (a JSON list of `{"train_keys": [...], "test_keys": [...]}`),
    /// each checked as `read(_:index:)` checks one: an entry that is not an object, or whose key lists
    /// are not lists of strings, is an error naming the file and the entry.
    public static func readAll(_ url: URL) throws -> [DatasetSplit] {
        let file = url.path
        guard FileManager.default.fileExists(atPath: file) else { throw DataError.missingFile(file: file) }
        guard let data = try? Data(contentsOf: url), let json = try? JSONSerialization.jsonObject(with: data) else {
            throw DataError.badSplitFile(file: file, reason: "not valid JSON")
        }
        guard let list = json as? [Any], !list.isEmpty else {
            throw DataError.badSplitFile(file: file, reason: "expected a non-empty list of {\"train_keys\", \"test_keys\"} objects")
        }
        return try list.indices.map { index in
            do { return try read(url, index: index) } catch DataError.badSplitFile(_, let reason) {
                // Name the entry: "split 3: "test_keys" is not a list of strings".
                throw DataError.badSplitFile(file: file, reason: reason.hasPrefix("split \(index)") ? reason : "split \(index): \(reason)")
            }
        }
    }

    /// Writes the eccv16 5-split layout (keys in the given order).
    public static func writeFolds(_ folds: [DatasetSplit], to url: URL) throws {
        let list = folds.map { ["train_keys": $0.train, "test_keys": $0.test] }
        let data = try JSONSerialization.data(withJSONObject: list, options: [.sortedKeys])
        try AtomicFile.write(data, to: url)
    }
}
