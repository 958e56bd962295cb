import ArgumentParser
import Foundation
import Harness
import Models
import VideoData

/// The run matrix of `bench sweep`, from flags or from a sweep file whose keys are the same flags' names.
struct SweepMatrixOptions: ParsableArguments {
    @Option(help: "Comma-separated models (default: every registered model).")
    var models: String?
    @Option(help: "Comma-separated variants: report, paper (default: report).")
    var variants: String?
    @Option(help: "Comma-separated sizes: paper, small (default: paper).")
    var sizes: String?
    @Option(help: "N (seeds 0..N-1) or a list such as 0,3,7 (default: 0).")
    var seeds: String?
    @OptionGroup var data: DataOptions
    @OptionGroup var evaluation: ProtocolOptions
    @OptionGroup var schedule: ScheduleOverrideOptions

    /// The matrix options given (by name), to refuse them beside a sweep file.
    var given: [String] {
        let s = schedule, d = data
        let named: [(String, Bool)] = [
            ("--models", models != nil), ("--variants", variants != nil), ("--sizes", sizes != nil), ("--seeds", seeds != nil),
            ("--data", d.data != nil), ("--split", d.split != nil), ("--split-index", d.splitIndex != 0),
            ("--synthetic-seed", d.syntheticSeed != SyntheticConfig.default.seed), ("--dataset", d.dataset != nil),
            ("--f1-reduction", d.f1Reduction != nil), ("--correlation", d.correlation != nil), ("--annotations", d.annotations != nil),
            ("--annotation-map", d.annotationMap != nil), ("--splits", evaluation.splits != nil), ("--selection", evaluation.selection != .val),
            ("--epochs", s.epochs != nil), ("--batch-size", s.batchSize != nil), ("--gradient-accumulation", s.gradientAccumulation != nil),
            ("--lr", s.lr != nil), ("--weight-decay", s.weightDecay != nil), ("--clip", s.clip != nil), ("--dropout", s.dropout != nil),
            ("--patience", s.patience != nil), ("--profile", s.profile != nil), ("--option", !s.modelOptions.isEmpty),
        ]
        return named.filter(\.1).map(\.0)
    }

    /// A comma-separated option as a list (empty items dropped, so "," is an empty list).
    func list(_ text: String?) -> [String]? {
        text.map { $0.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
    }

    func modelList() -> [String] { list(models) ?? ModelRegistry.standard.names }

    func variantList() throws -> [ModelVariant] {
        try (list(variants) ?? ["report"]).map { name in
            guard let variant = ModelVariant(rawValue: name) else {
                throw HarnessError.invalidArgument("--variants: unknown variant '\(name)' (known: \(ModelVariant.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return variant
        }
    }

    func sizeList() throws -> [ModelSize] {
        try (list(sizes) ?? ["paper"]).map { name in
            guard let size = ModelSize(rawValue: name) else {
                throw HarnessError.invalidArgument("--sizes: unknown size '\(name)' (known: \(ModelSize.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return size
        }
    }

    func seedList() throws -> [UInt64] { try seeds.map(RunOptions.parseSeeds) ?? [0] }
}

extension ScheduleOverrideOptions {
    /// The options as `bench model` arguments, for each task of a sweep.
    var arguments: [String] {
        var out: [String] = []
        func add(_ flag: String, _ value: (any CustomStringConvertible)?) { if let value { out += [flag, value.description] } }
        add("--epochs", epochs)
        add("--batch-size", batchSize)
        add("--gradient-accumulation", gradientAccumulation)
        add("--lr", lr)
        add("--weight-decay", weightDecay)
        add("--clip", clip)
        add("--dropout", dropout)
        add("--patience", patience)
        add("--profile", profile)
        for option in modelOptions { out += ["--option", option] }
        return out
    }
}

/// A sweep file: a JSON object whose keys are `bench sweep`'s matrix options without the dashes
/// (`models`, `seeds`, `sizes`, `epochs`, `batch_size` or `batch-size`, ...), values as on the command
/// line (a list is joined with commas; `option` is a list of key=value or an object), and optionally
/// `datasets`: a list of objects with the data options (`data`, `split`, `split_index`, `dataset`,
/// `f1_reduction`, `correlation`, `annotations`, `annotation_map`, `synthetic_seed`), one comparison each. Relative paths are from the file's folder.
enum SweepFileReader {
    indirect enum Value: Decodable {
        case text(String), list([Value]), object([String: Value])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let int = try? container.decode(Int.self) { self = .text("\(int)") }
            else if let number = try? container.decode(Double.self) { self = .text("\(number)") }
            else if let string = try? container.decode(String.self) { self = .text(string) }
            else if let list = try? container.decode([Value].self) { self = .list(list) }
            else if let object = try? container.decode([String: Value].self) { self = .object(object) }
            else { throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a string, number, list or object") }
        }
    }

    static let dataKeys: Set<String> = ["data", "split", "split-index", "synthetic-seed", "dataset", "f1-reduction", "correlation",
                                        "annotations", "annotation-map"]
    static let pathKeys: Set<String> = ["data", "split", "annotations", "annotation-map"]

    /// The matrix and the data sets (nil: the matrix's own data options).
    static func read(_ path: String) throws -> (matrix: SweepMatrixOptions, datasets: [DataOptions]?) {
        let url = URL(fileURLWithPath: path)
        guard let bytes = FileManager.default.contents(atPath: url.path) else {
            throw HarnessError.invalidArgument("\(path): cannot read the sweep file")
        }
        let object: [String: Value]
        do { object = try JSONDecoder().decode([String: Value].self, from: bytes) } catch {
            throw HarnessError.invalidArgument("\(path): not a JSON object of options: \(describe(error))")
        }
        let base = url.deletingLastPathComponent()
        func fail(_ what: String) -> HarnessError { .invalidArgument("\(path): \(what)") }
        var matrixArguments: [String] = [], datasets: [DataOptions]?
        for (rawKey, value) in object.sorted(by: { $0.key < $1.key }) {
            let key = rawKey.replacingOccurrences(of: "_", with: "-")
            if key == "datasets" {
                guard case let .list(items) = value, !items.isEmpty else { throw fail("'datasets' must be a non-empty list of objects") }
                datasets = try items.enumerated().map { index, item in
                    guard case let .object(fields) = item else { throw fail("datasets[\(index)] is not an object") }
                    var arguments: [String] = []
                    for (field, fieldValue) in fields.sorted(by: { $0.key < $1.key }) {
                        let name = field.replacingOccurrences(of: "_", with: "-")
                        guard dataKeys.contains(name) else {
                            throw fail("datasets[\(index)]: unknown key '\(field)' (known: \(dataKeys.sorted().joined(separator: ", ")))")
                        }
                        arguments += try flag(name, fieldValue, base: base, fail: fail)
                    }
                    do { return try DataOptions.parse(arguments) } catch {
                        throw fail("datasets[\(index)]: " + DataOptions.message(for: error))
                    }
                }
                continue
            }
            matrixArguments += try flag(key, value, base: base, fail: fail)
        }
        let matrix: SweepMatrixOptions
        do { matrix = try SweepMatrixOptions.parse(matrixArguments) } catch {
            throw fail(SweepMatrixOptions.message(for: error).replacingOccurrences(of: "option '--", with: "key '"))
        }
        if datasets != nil, let clash = matrix.given.first(where: { dataKeys.contains(String($0.dropFirst(2))) }) {
            throw fail("give the data in 'datasets' or as '\(clash.dropFirst(2))', not both")
        }
        return (matrix, datasets)
    }

    static func flag(_ key: String, _ value: Value, base: URL, fail: (String) -> HarnessError) throws -> [String] {
        func scalar(_ value: Value) throws -> String {
            guard case let .text(text) = value else { throw fail("'\(key)' must be a string or a number") }
            return pathKeys.contains(key) && !text.hasPrefix("/") ? base.appendingPathComponent(text).standardizedFileURL.path : text
        }
        switch (key, value) {
        case let ("option", .object(fields)):
            return try fields.sorted { $0.key < $1.key }.flatMap { ["--option", "\($0.key)=\(try scalar($0.value))"] }
        case let ("option", .list(items)):
            return try items.flatMap { ["--option", try scalar($0)] }
        case let (_, .list(items)):
            return ["--\(key)", try items.map(scalar).joined(separator: ",")]
        default:
            return ["--\(key)", try scalar(value)]
        }
    }

    static func describe(_ error: any Error) -> String {
        if case let DecodingError.dataCorrupted(context) = error {
            return context.underlyingError.map { "\($0.localizedDescription)" } ?? context.debugDescription
        }
        return "\(error)"
    }
}
