import CBLAS
import Foundation

/// OpenBLAS chooses its kernels by CPU model when the library loads. Builds older than the CPU (Debian
/// 12's OpenBLAS 0.3.21 on Sapphire/Emerald Rapids, for example) do not know the model and fall back to
/// the generic "Prescott" kernel, about five times slower than the AVX-512 one the CPU supports (measured
/// here: 18-24 against 103-134 GFLOP/s for a 2048 sgemm on 2 threads). The only control is the
/// environment variable OPENBLAS_CORETYPE, read at load time, so a process that finds the fallback
/// re-executes itself once with the kernel its CPU flags support. A user's own OPENBLAS_CORETYPE is never
/// overridden.
public enum BLASKernel {
    /// The kernel OpenBLAS is running ("SkylakeX", "Haswell", "Prescott", ...).
    public static var coreName: String { String(cString: openblas_get_corename()) }

    public static var configuration: String { String(cString: openblas_get_config()) }

    /// The kernel this CPU's flags support, from /proc/cpuinfo; nil when that cannot be read.
    static func supportedCoreType() -> String? {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        if ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"].allSatisfy(flags.contains) { return "SkylakeX" }
        if ["avx2", "fma"].allSatisfy(flags.contains) { return "Haswell" }
        return nil
    }

    /// Re-executes the current process with OPENBLAS_CORETYPE set when OpenBLAS fell back to its generic
    /// kernel on a CPU that supports a faster one. Returns (doing nothing) otherwise; on success it does
    /// not return.
    public static func reexecWithSupportedKernelIfNeeded() {
        let env = ProcessInfo.processInfo.environment
        guard env["OPENBLAS_CORETYPE"] == nil, coreName == "Prescott", let core = supportedCoreType() else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        let args = CommandLine.arguments
        var cArgs = args.map { strdup($0) } + [nil]
        execv("/proc/self/exe", &cArgs)
        // execv only returns on failure: carry on with the slow kernel rather than fail.
        unsetenv("OPENBLAS_CORETYPE")
    }
}
