import Foundation
import Testing
@testable import TrenzaImaging

/// The geometric filters' tokens, errors and size rules; their pixels are checked against Pillow
/// in FilterParityTests.
@Suite("Geometric filters")
struct GeometryTests {
    @Test("tokens parse, and print back to themselves", arguments: [
        ("resize=64x48", ImageFilter.resize(width: 64, height: 48, filter: .bicubic)),
        ("resize=1x1:nearest", .resize(width: 1, height: 1, filter: .nearest)),
        ("RESIZE=10X20:Lanczos", .resize(width: 10, height: 20, filter: .lanczos)),
        ("resize=7x1:box", .resize(width: 7, height: 1, filter: .box)),
        ("thumbnail=256x256", .thumbnail(width: 256, height: 256)),
        ("crop=0,5,10,20", .crop(x: 0, y: 5, width: 10, height: 20)),
        ("rotate=270", .rotate(degrees: 270)), ("flip", .flip), ("mirror", .mirror), ("orient", .orient),
    ])
    func parses(token: String, filter: ImageFilter) throws {
        #expect(try ImageFilter.parse(token) == filter)
        #expect(try ImageFilter.parse(filter.description) == filter)
        #expect(filter.description.hasPrefix(filter.name))
    }

    @Test("a crop box keeps its commas in a list")
    func cropInList() throws {
        let filters = try ImageFilter.parseList("crop=1,2,30,40,blur,resize=8x8:hamming,rotate=90")
        #expect(filters == [.crop(x: 1, y: 2, width: 30, height: 40), .blur,
                            .resize(width: 8, height: 8, filter: .hamming), .rotate(degrees: 90)])
        #expect(try ImageFilter.parseList(filters.map(\.description).joined(separator: ",")) == filters)
        let json = try JSONEncoder().encode(filters)
        #expect(try JSONDecoder().decode([ImageFilter].self, from: json) == filters)
    }

    @Test("bad geometric tokens name the token and show the valid forms", arguments: [
        ("resize=0x5", "resize=WxH[:nearest|box|bilinear|hamming|bicubic|lanczos]"),
        ("resize=10x", "resize=WxH"), ("resize=10x10:cubic", "resize=WxH"), ("resize", "resize=WxH"),
        ("resize=-3x4", "resize=WxH"), ("thumbnail=0x0", "thumbnail=WxH"), ("thumbnail=big", "thumbnail=WxH"),
        ("rotate=45", "rotate=90, rotate=180 or rotate=270"), ("rotate", "rotate=90"),
        ("crop=1,2,3", "crop=X,Y,W,H"), ("crop=1,2,0,4", "crop=X,Y,W,H"), ("crop=-1,2,3,4", "crop=X,Y,W,H"),
    ])
    func rejects(token: String, form: String) {
        #expect {
            try ImageFilter.parseList(token)
        } throws: { error in
            guard let error = error as? ImageFilterParseError else { return false }
            return error.problem == .badGeometry && error.description.contains("\"\(token)\"")
                && error.description.contains(form) && error.description.contains("thumbnail=WxH")
        }
    }

    @Test("flip, mirror and orient take no value")
    func noValues() {
        #expect(throws: ImageFilterParseError(token: "flip=2", problem: .unexpectedFactor)) {
            try ImageFilter.parse("flip=2")
        }
    }

    @Test("the quarter turns are counter-clockwise, and orientations map to Pillow's transpositions")
    func turns() {
        // 3×2: a b c / d e f
        let image = Image(width: 3, height: 2, mode: .l, pixels: [1, 2, 3, 4, 5, 6])
        #expect(ImageFilter.rotate(degrees: 90).apply(to: image) == Image(width: 2, height: 3, mode: .l, pixels: [3, 6, 2, 5, 1, 4]))
        #expect(ImageFilter.rotate(degrees: 270).apply(to: image) == Image(width: 2, height: 3, mode: .l, pixels: [4, 1, 5, 2, 6, 3]))
        #expect(ImageFilter.rotate(degrees: 180).apply(to: image).pixels == [6, 5, 4, 3, 2, 1])
        #expect(ImageFilter.flip.apply(to: image).pixels == [4, 5, 6, 1, 2, 3])
        #expect(ImageFilter.mirror.apply(to: image).pixels == [3, 2, 1, 6, 5, 4])
        #expect(image.transposed(.transpose).pixels == [1, 4, 2, 5, 3, 6])
        #expect(image.transposed(.transverse).pixels == [6, 3, 5, 2, 4, 1])
        #expect(Transposition(exifOrientation: 1) == nil && Transposition(exifOrientation: 9) == nil)
        #expect(Transposition(exifOrientation: 6) == .rotate270)
    }

    @Test("a crop outside the image is an error naming the box; the filter alone pads like Pillow")
    func cropOutside() throws {
        let image = Image(width: 4, height: 3, mode: .rgb, fill: [9, 9, 9])
        let decoded = DecodedImage(image: image, format: .png)
        #expect(throws: ImageGeometryError(filter: .crop(x: 2, y: 1, width: 5, height: 2), width: 4, height: 3)) {
            try decoded.applying([.crop(x: 2, y: 1, width: 5, height: 2)])
        }
        let message = ImageGeometryError(filter: .crop(x: 2, y: 1, width: 5, height: 2), width: 4, height: 3).description
        #expect(message.contains("crop=2,1,5,2") && message.contains("4×3"))
        // After a resize the box is checked against the new size.
        #expect(throws: ImageGeometryError.self) {
            try decoded.applying([.resize(width: 2, height: 2, filter: .box), .crop(x: 0, y: 0, width: 3, height: 1)])
        }
        #expect(try decoded.applying([.crop(x: 1, y: 1, width: 3, height: 2)]).width == 3)
        let padded = ImageFilter.crop(x: 3, y: 0, width: 2, height: 1).apply(to: image)
        #expect(padded.pixels == [9, 9, 9, 0, 0, 0])
    }

    @Test("thumbnail sizes keep the aspect ratio as Pillow rounds it, and never enlarge")
    func thumbnailSizes() {
        #expect(Image.thumbnailSize(fitting: 256, 256, imageWidth: 1920, imageHeight: 1080)! == (256, 144))
        #expect(Image.thumbnailSize(fitting: 100, 100, imageWidth: 1000, imageHeight: 3)! == (100, 1))
        #expect(Image.thumbnailSize(fitting: 64, 64, imageWidth: 64, imageHeight: 10) == nil)
        #expect(Image.thumbnailSize(fitting: 33, 70, imageWidth: 200, imageHeight: 150)! == (33, 25))
        let small = Image(width: 5, height: 4, mode: .l, fill: [7])
        #expect(ImageFilter.thumbnail(width: 50, height: 50).apply(to: small) == small)
    }

    @Test("draft picks the largest libjpeg scale that leaves twice the thumbnail")
    func draftScale() {
        #expect(DraftScaling.forThumbnail(width: 48, height: 48, fileWidth: 1100, fileHeight: 830) == 8)
        #expect(DraftScaling.forThumbnail(width: 64, height: 64, fileWidth: 1100, fileHeight: 830) == 4)
        #expect(DraftScaling.forThumbnail(width: 256, height: 256, fileWidth: 1920, fileHeight: 1080) == 2)
        #expect(DraftScaling.forThumbnail(width: 500, height: 500, fileWidth: 1100, fileHeight: 830) == 1)
        #expect(DraftScaling.forThumbnail(width: 2000, height: 2000, fileWidth: 1100, fileHeight: 830) == nil)
    }
}
