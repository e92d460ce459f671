//! Byte formats: a small PNG encoder (8-bit RGB) and base64, so the `plot` feature needs no
//! image crate. Both are deterministic: the same pixels always give the same bytes.

/// Encodes `rgb` (`width * height` pixels, 3 bytes each, rows top to bottom) as a PNG file.
///
/// Rows are stored unfiltered (PNG filter type 0) and zlib-compressed. For plots, filtering
/// does not pay: the white background compresses well anyway, and on a heat map's smooth
/// gradients the usual adaptive filter choice made the file 50% larger, and the encoder
/// slower.
pub(crate) fn png_rgb(width: u32, height: u32, rgb: &[u8]) -> Vec<u8> {
    let stride = width as usize * 3;
    assert_eq!(
        rgb.len(),
        stride * height as usize,
        "png_rgb: wrong buffer size"
    );
    let mut raw = Vec::with_capacity((stride + 1) * height as usize);
    for row in rgb.chunks_exact(stride) {
        raw.push(0); // filter type: none
        raw.extend_from_slice(row);
    }
    let idat = miniz_oxide::deflate::compress_to_vec_zlib(&raw, 6);

    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8 bits, RGB, deflate, filters, no interlace
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &idat);
    chunk(&mut png, b"IEND", &[]);
    png
}

/// Appends one PNG chunk: length, type, data, CRC-32 of type and data.
fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = png.len();
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let crc = crc32(&png[start..]);
    png.extend_from_slice(&crc.to_be_bytes());
}

/// CRC-32 (IEEE, reflected), bit by bit: plots are small, no table needed.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= byte as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                0xEDB8_8320 ^ (crc >> 1)
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Standard base64 (RFC 4648, `+/`, `=` padding), on one line.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for group in bytes.chunks(3) {
        let n = (group[0] as u32) << 16
            | (*group.get(1).unwrap_or(&0) as u32) << 8
            | *group.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= group.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Halves an RGB image, each pixel the average of a 2x2 block: drawing at twice the size
/// and shrinking is what smooths (anti-aliases) the lines, circles and text of the PNG.
pub(crate) fn downsample2(rgb: &[u8], width: u32, height: u32) -> Vec<u8> {
    let (w, ow, oh) = (width as usize, width as usize / 2, height as usize / 2);
    let mut out = vec![0u8; ow * oh * 3];
    for (oy, line) in out.chunks_exact_mut(ow * 3).enumerate() {
        let top = &rgb[2 * oy * w * 3..(2 * oy + 1) * w * 3];
        let bottom = &rgb[(2 * oy + 1) * w * 3..(2 * oy + 2) * w * 3];
        for ((o, a), b) in line
            .chunks_exact_mut(3)
            .zip(top.chunks_exact(6))
            .zip(bottom.chunks_exact(6))
        {
            for c in 0..3 {
                let sum = a[c] as u16 + a[c + 3] as u16 + b[c] as u16 + b[c + 3] as u16;
                o[c] = ((sum + 2) / 4) as u8;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
        assert_eq!(base64(&[0xfb, 0xff]), "+/8=");
    }

    #[test]
    fn crc32_of_iend_is_the_well_known_value() {
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    }

    #[test]
    fn png_round_trips_through_inflate() {
        let (w, h) = (5u32, 3u32);
        let rgb: Vec<u8> = (0..w * h * 3).map(|i| (i * 37 % 251) as u8).collect();
        let png = png_rgb(w, h, &rgb);
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let idat_len = u32::from_be_bytes(png[33..37].try_into().unwrap()) as usize;
        assert_eq!(&png[37..41], b"IDAT");
        let raw = miniz_oxide::inflate::decompress_to_vec_zlib(&png[41..41 + idat_len]).unwrap();
        let stride = (w * 3) as usize;
        let mut decoded = Vec::new();
        for line in raw.chunks_exact(stride + 1) {
            assert_eq!(line[0], 0, "filter type");
            decoded.extend_from_slice(&line[1..]);
        }
        assert_eq!(decoded, rgb);
    }

    #[test]
    fn downsample_averages_blocks() {
        // 2x2 image of one white and three black pixels, shrunk to 1x1.
        let rgb = [255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(downsample2(&rgb, 2, 2), vec![64, 64, 64]);
    }
}
