/// Stops with `message` when `condition` is false, in every build configuration. Unlike `precondition`,
/// whose message optimised builds drop, a caller's shape mistake always names the op and the shapes.
@inline(__always)
public func checkArgument(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                          file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fatalError(message(), file: file, line: line) }
}
