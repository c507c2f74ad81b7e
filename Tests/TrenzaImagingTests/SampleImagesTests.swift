import Testing
import TrenzaImaging

@Suite("Sample images")
struct SampleImagesTests {
    @Test("the same seed gives the same pixels; another seed, others")
    func deterministic() {
        let a = SampleImages.generate(width: 64, height: 48, seed: 3)
        let b = SampleImages.generate(width: 64, height: 48, seed: 3)
        let c = SampleImages.generate(width: 64, height: 48, seed: 4)
        #expect(a == b)
        #expect(a != c)
        #expect(a.mode == .rgb && a.width == 64 && a.height == 48)
    }

    @Test("photo-like: many distinct values and real edges, not a solid colour")
    func photoLike() {
        let image = SampleImages.generate(width: 200, height: 150, seed: 11)
        #expect(Set(image.pixels).count > 100)
        // Neighbouring pixels mostly agree (smooth areas) yet some differ a lot (edges).
        var small = 0, large = 0
        for index in stride(from: 3, to: image.pixels.count, by: 3) {
            let step = abs(Int(image.pixels[index]) - Int(image.pixels[index - 3]))
            if step <= 16 { small += 1 } else if step >= 40 { large += 1 }
        }
        #expect(small > image.width * image.height / 2)
        #expect(large > 0)
    }
}
