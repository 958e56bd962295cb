import CBLAS
import Foundation

/// The machine a run ran on, for the record.
public struct MachineInfo: Codable, Sendable {
    public var cpu: String
    public var cores: Int
    public var threads: Int
    public var memoryBytes: UInt64
    public var blas: String
    public var os: String
    public var toolchain: String
    public var gitCommit: String?
    public var precision: String

    public static func current(threads: Int) -> MachineInfo {
        MachineInfo(cpu: cpuName(), cores: ProcessInfo.processInfo.activeProcessorCount, threads: threads,
                    memoryBytes: ProcessInfo.processInfo.physicalMemory, blas: blasLibrary(),
                    os: ProcessInfo.processInfo.operatingSystemVersionString, toolchain: toolchain,
                    gitCommit: gitCommit(), precision: "fp32 (the report used fp16 autocast on a GPU)")
    }

    static func cpuName() -> String {
        guard let text = readSystemFile("/proc/cpuinfo") else { return "unknown" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        }
        return "unknown"
    }

    /// The OpenBLAS shared library this process mapped (its file name carries the version) and the
    /// kernel set it chose for this CPU.
    static func blasLibrary() -> String {
        var library = "unknown library"
        if let maps = readSystemFile("/proc/self/maps"),
           let line = maps.split(separator: "\n").first(where: { $0.contains("openblas") }),
           let path = line.split(separator: " ").last {
            library = URL(fileURLWithPath: String(path)).resolvingSymlinksInPath().lastPathComponent
        }
        let timeout = ProcessInfo.processInfo.environment["OPENBLAS_THREAD_TIMEOUT"].map { ", thread timeout 2^\($0) cycles" } ?? ""
        return "OpenBLAS (\(library), core \(blasCore)\(timeout))"
    }

    /// OpenBLAS's kernel set ("Haswell", "SkylakeX", ...); "Prescott" is its generic fallback.
    public static var blasCore: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// A warning when OpenBLAS fell back to its generic kernels on a CPU with AVX2 (common in virtual
    /// machines, whose CPU model it does not recognise): matrix products are then several times slower.
    public static var blasWarning: String? {
        guard blasCore.lowercased() == "prescott", let flags = readSystemFile("/proc/cpuinfo"), flags.contains(" avx2") else { return nil }
        let suggestion = flags.contains(" avx512f") ? "SkylakeX" : "Haswell"
        return "OpenBLAS runs its generic Prescott kernels on this AVX2 CPU; matrix products are several times slower. "
            + "Run with OPENBLAS_CORETYPE=\(suggestion) in the environment for the CPU's own kernels."
    }

    static var toolchain: String {
        #if swift(>=6.3)
        return "Swift 6.3 or later"
        #elseif swift(>=6.2)
        return "Swift 6.2"
        #elseif swift(>=6.1)
        return "Swift 6.1"
        #else
        return "Swift 6.0"
        #endif
    }

    /// The commit of the working directory's repository, when there is one and git is installed.
    static func gitCommit() -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "rev-parse", "HEAD"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Starts a new peak-resident-set measurement (Linux: writing 5 to /proc/self/clear_refs resets VmHWM
/// to the current resident set), so each model of `bench all` reports its own peak. Returns false where
/// that is not possible; then the peak is the process's since it started.
@discardableResult
public func resetPeakResident() -> Bool {
    guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
    defer { try? handle.close() }
    do { try handle.write(contentsOf: Data("5".utf8)) } catch { return false }
    return true
}

/// The process's peak resident set in bytes: VmHWM on Linux, getrusage elsewhere.
public func peakResidentBytes() -> Int {
    if let status = readSystemFile("/proc/self/status") {
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let parts = line.split(separator: " ")
            if parts.count >= 2, let kb = Int(parts[1]) { return kb * 1024 }
        }
    }
    var usage = rusage()
    #if os(Linux)
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Int(usage.ru_maxrss) * 1024
    #else
    getrusage(RUSAGE_SELF, &usage)
    return Int(usage.ru_maxrss)
    #endif
}

/// Reads a whole /proc file. They report a size of 0, so this reads until end of file instead of
/// trusting the size (Foundation's String(contentsOfFile:) can stop after the first page).
func readSystemFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        bytes += buffer[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}
