@preconcurrency import CHDF5
import Foundation

/// An open HDF5 data set of numbers.
public final class HDF5Dataset {
    let id: hid_t
    let location: HDF5Location

    /// What kind of element the file stores.
    public enum ElementKind: Equatable, Sendable {
        case integer, float, other
    }

    init(id: hid_t, location: HDF5Location) {
        self.id = id
        self.location = location
    }

    public var path: String { location.object }

    /// The extent of each dimension (empty for a scalar). Reads only metadata, no data.
    public func shape() throws -> [Int] {
        try HDF5Library.locked {
            let space = try location.check(H5Dget_space(id), "read data space")
            defer { _ = H5Sclose(space) }
            let rank = H5Sget_simple_extent_ndims(space)
            try location.check(rank, "read rank")
            var dims = [hsize_t](repeating: 0, count: Int(rank))
            try location.check(H5Sget_simple_extent_dims(space, &dims, nil), "read dimensions")
            return dims.map { Int($0) }
        }
    }

    public func elementKind() throws -> ElementKind {
        try HDF5Library.locked {
            let type = try location.check(H5Dget_type(id), "read element type")
            defer { _ = H5Tclose(type) }
            switch H5Tget_class(type) {
            case H5T_INTEGER: return .integer
            case H5T_FLOAT: return .float
            default: return .other
            }
        }
    }

    /// The stored element type in numpy's words (`float32`, `float64`, `int8`, `uint16`, ...), for messages.
    public func elementTypeName() throws -> String {
        try HDF5Library.locked {
            let type = try location.check(H5Dget_type(id), "read element type")
            defer { _ = H5Tclose(type) }
            let bits = H5Tget_size(type) * 8
            switch H5Tget_class(type) {
            case H5T_INTEGER: return (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + "\(bits)"
            case H5T_FLOAT: return "float\(bits)"
            case H5T_STRING: return "string"
            default: return "a non-numeric type"
            }
        }
    }

    /// Reads the whole data set, converting each stored integer or float to `Element`
    /// (float64 to Float rounds to nearest; floats to integers truncate, as HDF5 does).
    public func read<Element: HDF5Element>(as _: Element.Type = Element.self) throws -> [Element] {
        let count = try shape().reduce(1, *)
        guard try elementKind() != .other else {
            throw HDF5Error(file: location.file, object: location.object, operation: "read numbers",
                            stack: ["the data set does not hold integers or floats"])
        }
        return try HDF5Library.locked {
            var values = [Element](repeating: Element.zero, count: count)
            if count == 0 { return values }
            let status = values.withUnsafeMutableBytes { buffer in
                H5Dread(id, Element.memoryType, h5sAll, h5sAll, h5pDefault, buffer.baseAddress)
            }
            try location.check(status, "read data set")
            return values
        }
    }

    public func readFloats() throws -> [Float] { try read(as: Float.self) }
    public func readDoubles() throws -> [Double] { try read(as: Double.self) }
    public func readInts() throws -> [Int] { try read(as: Int64.self).map { Int($0) } }

    deinit {
        HDF5Library.locked {
            _ = H5Dclose(id)
            _ = HDF5Library.takeErrorStack()
        }
    }
}
