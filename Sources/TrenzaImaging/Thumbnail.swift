/// How a JPEG was decoded smaller than stored (Pillow's `draft`), which a thumbnail must know to
/// map the decoded pixels back onto the original's coordinates.
struct DraftScaling: Equatable {
    /// The size stored in the file.
    var fileWidth: Int, fileHeight: Int
    /// libjpeg's scale denominator: 1, 2, 4 or 8.
    var scale: Int

    /// `JpegImageFile.draft`'s choice for `thumbnail((width, height))` with the default reducing
    /// gap of 2: the largest of 8, 4, 2 that still leaves twice the requested size on both sides;
    /// nil when the thumbnail leaves the image as it is (Pillow then never calls draft).
    static func forThumbnail(width: Int, height: Int, fileWidth: Int, fileHeight: Int) -> Int? {
        guard Image.thumbnailSize(fitting: width, height, imageWidth: fileWidth, imageHeight: fileHeight) != nil
        else { return nil }
        let fit = min(fileWidth / (width * 2), fileHeight / (height * 2))
        return [8, 4, 2].first { fit >= $0 } ?? 1
    }
}

extension Image {
    /// Pillow's reducing gap for thumbnails: integer reduction takes the image down to no less than
    /// twice the final size, the bicubic filter does the rest.
    static let thumbnailReducingGap = 2.0

    /// `thumbnail((width, height))`'s size: the largest that fits and keeps the aspect ratio, each
    /// side rounded to whichever neighbour keeps the ratio closer; nil when the image already fits.
    static func thumbnailSize(fitting width: Int, _ height: Int, imageWidth: Int, imageHeight: Int) -> (Int, Int)? {
        if width >= imageWidth && height >= imageHeight { return nil }
        func closest(to number: Double, by distance: (Int) -> Double) -> Int {
            let below = Int(number.rounded(.down)), above = Int(number.rounded(.up))
            // Python's min() keeps the first of equals: the lower one.
            return max(distance(above) < distance(below) ? above : below, 1)
        }
        let aspect = Double(imageWidth) / Double(imageHeight)
        if Double(width) / Double(height) >= aspect {
            let x = closest(to: Double(height) * aspect) { abs(aspect - Double($0) / Double(height)) }
            return (x, height)
        }
        let y = closest(to: Double(width) / aspect) { $0 == 0 ? 0 : abs(aspect - Double(width) / Double($0)) }
        return (width, y)
    }

    /// `image.thumbnail((width, height))`: never enlarges, keeps the aspect ratio, reduces by whole
    /// factors first and resamples the rest with BICUBIC. `draft` describes a JPEG decoded smaller
    /// by libjpeg, in which case the decoded pixels stand for the whole file.
    func thumbnail(width: Int, height: Int, draft: DraftScaling? = nil) -> Image {
        let original = draft.map { ($0.fileWidth, $0.fileHeight) } ?? (self.width, self.height)
        // An empty image has no aspect ratio; Pillow never decodes one.
        guard original.0 > 0, original.1 > 0, self.width > 0, self.height > 0 else { return self }
        guard let (outWidth, outHeight) = Image.thumbnailSize(
            fitting: width, height, imageWidth: original.0, imageHeight: original.1) else { return self }
        var box = SourceBox.whole(self)
        if let draft {
            box.right = Double(draft.fileWidth) / Double(draft.scale)
            box.bottom = Double(draft.fileHeight) / Double(draft.scale)
        }
        if outWidth == self.width && outHeight == self.height { return self }
        return resizedWithReducingGap(width: outWidth, height: outHeight, box: box)
    }

    /// `resize(size, BICUBIC, box, reducing_gap=2.0)`.
    private func resizedWithReducingGap(width outWidth: Int, height outHeight: Int, box: SourceBox) -> Image {
        if outWidth == width && outHeight == height && box == .whole(self) { return self }
        // Pillow hands RGBA to a resize without the gap, premultiplied.
        if mode == .rgba { return resampled(width: outWidth, height: outHeight, filter: .bicubic, box: box) }
        let gap = Image.thumbnailReducingGap
        let xFactor = max(Int((box.right - box.left) / Double(outWidth) / gap), 1)
        let yFactor = max(Int((box.bottom - box.top) / Double(outHeight) / gap), 1)
        guard xFactor > 1 || yFactor > 1 else {
            return resampled(width: outWidth, height: outHeight, filter: .bicubic, box: box)
        }
        // The reduction covers the box plus what the bicubic filter reads around it.
        let reach = ResampleFilter.bicubic.support - 0.5
        let reachX = reach * (box.right - box.left) / Double(outWidth)
        let reachY = reach * (box.bottom - box.top) / Double(outHeight)
        let region = (left: max(0, Int(box.left - reachX)), top: max(0, Int(box.top - reachY)),
                      right: min(width, Int((box.right + reachX).rounded(.up))),
                      bottom: min(height, Int((box.bottom + reachY).rounded(.up))))
        let small = reduced(xFactor: xFactor, yFactor: yFactor, box: region)
        let remaining = SourceBox(left: (box.left - Double(region.left)) / Double(xFactor),
                                  top: (box.top - Double(region.top)) / Double(yFactor),
                                  right: (box.right - Double(region.left)) / Double(xFactor),
                                  bottom: (box.bottom - Double(region.top)) / Double(yFactor))
        return small.resampled(width: outWidth, height: outHeight, filter: .bicubic, box: remaining)
    }
}
