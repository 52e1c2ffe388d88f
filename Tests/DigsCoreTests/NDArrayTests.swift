import DigsCore
import Testing

struct NDArrayTests {
    @Test func shapeMustMatchElementCount() throws {
        #expect(throws: DigsError.self) { try NDArray(shape: [2, 3], data: [1.0, 2.0]) }
        #expect(throws: DigsError.self) { try NDArray(shape: [-1], data: [Double]()) }
        let a = try NDArray(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])
        #expect(a.rowStride == 3)
        #expect(Array(a.row(1)) == [4, 5, 6])
    }
}
