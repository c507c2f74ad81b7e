import Testing
import TrenzaImaging

@Suite("Image")
struct ImageTests {
    @Test("a filled image has the fill in every pixel, row by row", arguments: Image.Mode.allCases)
    func fill(mode: Image.Mode) {
        let fill = Array([10, 20, 30, 40].prefix(mode.bands)).map(UInt8.init)
        let image = Image(width: 3, height: 2, mode: mode, fill: fill)
        #expect(image.pixels.count == 3 * 2 * mode.bands)
        #expect(image.stride == 3 * mode.bands)
        #expect(Array(image[2, 1]) == fill)
    }
}
