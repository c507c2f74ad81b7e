import Foundation
import Trenza

/// Photo-like sample images: smooth gradients, soft shapes, texture and noise, reproducible by
/// seed. Solid colours (as in the tutorial's examples) would make every filter trivial; these have
/// edges, flat areas and fine detail, like photographs.
public enum SampleImages {
    /// An RGB image of `width × height`, the same for the same arguments on every machine.
    public static func generate(width: Int, height: Int, seed: UInt64) -> Image {
        var random = SplitMix64(seed: seed)
        // Two gradient endpoints and a direction.
        let from = (Int(random.next() % 200), Int(random.next() % 200), Int(random.next() % 200))
        let to = (55 + Int(random.next() % 200), 55 + Int(random.next() % 200), 55 + Int(random.next() % 200))
        let angle = Double(random.next() % 360) * .pi / 180
        let (dx, dy) = (cos(angle), sin(angle))
        let span = max(1, abs(dx) * Double(width) + abs(dy) * Double(height))
        let originX = dx < 0 ? Double(width) : 0, originY = dy < 0 ? Double(height) : 0

        struct Disc { var x, y, radiusSquared: Int; var color: (Int, Int, Int); var opacity: Int }
        let scale = max(1, min(width, height))
        let discs = (0..<(3 + Int(random.next() % 5))).map { _ in
            let radius = scale / 12 + Int(random.next() % UInt64(max(1, scale / 4)))
            return Disc(x: Int(random.next() % UInt64(max(1, width))), y: Int(random.next() % UInt64(max(1, height))),
                        radiusSquared: radius * radius,
                        color: (Int(random.next() % 256), Int(random.next() % 256), Int(random.next() % 256)),
                        opacity: 96 + Int(random.next() % 128))
        }
        let stripePeriod = 8 + Int(random.next() % 24)

        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        pixels.withUnsafeMutableBufferPointer { out in
            var noise = SplitMix64(seed: seed ^ 0x5DEE_CE66)
            for y in 0..<height {
                for x in 0..<width {
                    let t = ((Double(x) - originX) * dx + (Double(y) - originY) * dy) / span
                    let weight = Int(max(0, min(1, t)) * 256)
                    var r = (from.0 * (256 - weight) + to.0 * weight) >> 8
                    var g = (from.1 * (256 - weight) + to.1 * weight) >> 8
                    var b = (from.2 * (256 - weight) + to.2 * weight) >> 8
                    for disc in discs {
                        let ddx = x - disc.x, ddy = y - disc.y
                        if ddx * ddx + ddy * ddy <= disc.radiusSquared {
                            r = (r * (256 - disc.opacity) + disc.color.0 * disc.opacity) >> 8
                            g = (g * (256 - disc.opacity) + disc.color.1 * disc.opacity) >> 8
                            b = (b * (256 - disc.opacity) + disc.color.2 * disc.opacity) >> 8
                        }
                    }
                    // Fine diagonal texture in one band of the image, then sensor-like noise.
                    if (x + y) / stripePeriod % 2 == 0 && y * 3 > height { r += 12; g += 12; b += 12 }
                    let n = Int(noise.next() & 15) - 8
                    let base = (y * width + x) * 3
                    out[base] = UInt8(clamping: r + n)
                    out[base + 1] = UInt8(clamping: g + n)
                    out[base + 2] = UInt8(clamping: b + n)
                }
            }
        }
        return Image(width: width, height: height, mode: .rgb, pixels: pixels)
    }
}
