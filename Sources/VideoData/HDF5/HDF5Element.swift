@preconcurrency import CHDF5

/// A Swift number type that HDF5 can read into and write from. HDF5 converts between the type stored
/// in a file and this memory type, so a float64 data set reads as `Float` and an int64 one as `Double`.
public protocol HDF5Element: Sendable {
    /// The native in-memory HDF5 type (valid once the library is open; use inside `HDF5Library.locked`).
    static var memoryType: hid_t { get }
    /// The little-endian type used when this module writes a data set of this element.
    static var fileType: hid_t { get }
    static var zero: Self { get }
}

extension Float: HDF5Element {
    public static var memoryType: hid_t { H5T_NATIVE_FLOAT_g }
    public static var fileType: hid_t { H5T_IEEE_F32LE_g }
    public static var zero: Float { 0 }
}

extension Double: HDF5Element {
    public static var memoryType: hid_t { H5T_NATIVE_DOUBLE_g }
    public static var fileType: hid_t { H5T_IEEE_F64LE_g }
    public static var zero: Double { 0 }
}

extension Int64: HDF5Element {
    public static var memoryType: hid_t { H5T_NATIVE_INT64_g }
    public static var fileType: hid_t { H5T_STD_I64LE_g }
    public static var zero: Int64 { 0 }
}

extension Int32: HDF5Element {
    public static var memoryType: hid_t { H5T_NATIVE_INT32_g }
    public static var fileType: hid_t { H5T_STD_I32LE_g }
    public static var zero: Int32 { 0 }
}

extension UInt8: HDF5Element {
    public static var memoryType: hid_t { H5T_NATIVE_UINT8_g }
    public static var fileType: hid_t { H5T_STD_U8LE_g }
    public static var zero: UInt8 { 0 }
}

extension Int8: HDF5Element {
    public static var memoryType: hid_t { H5T_NATIVE_SCHAR_g }
    public static var fileType: hid_t { H5T_STD_I8LE_g }
    public static var zero: Int8 { 0 }
}
