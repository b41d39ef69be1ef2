//! Image uploads. The type comes from the bytes (`infer`), never from the
//! name or the declared type; the image is decoded with size limits (a
//! decompression bomb fails, it does not fill memory) and encoded again by
//! the `image` crate, which drops every metadata block (EXIF with its GPS
//! position, XMP, comments). Smaller widths are made for `srcset`. Blobs are
//! named by the hash of their content, so their URLs can be cached forever.

use super::Sites;
use crate::error::Error;
use crate::model::{Asset, AssetId, SiteId, Variant, MAX_ASSETS, MAX_ASSET_BYTES};
use crate::store::{self, AssetRow};
use bytes::Bytes;
use image::{DynamicImage, GenericImageView, ImageFormat};
use sha2::{Digest, Sha256};
use stackpro_core::ids::TenantId;
use stackpro_core::metering::Meter;
use stackpro_core::TenantCtx;

/// Widths made below the original, for `srcset`.
const WIDTHS: &[u32] = &[480, 960, 1600];
/// The widest image kept; larger uploads are scaled down to it.
const MAX_WIDTH: u32 = 2400;
/// The largest image decoded, in pixels per side.
const MAX_SIDE: u32 = 12_000;
/// The largest image decoded, in pixels (a 48-megapixel phone photo fits).
const MAX_PIXELS: u64 = 50_000_000;
/// Images processed at once on this replica: decoding is CPU and memory
/// heavy, so uploads beyond it wait their turn.
static PROCESSING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// One encoded size.
struct Encoded {
    width: u32,
    height: u32,
    bytes: Vec<u8>,
}

/// What processing an upload gives: the type served and each size.
struct Processed {
    content_type: &'static str,
    ext: &'static str,
    sizes: Vec<Encoded>,
}

/// The blob key of one size of an image.
pub(crate) fn blob_key(site: SiteId, file: &str) -> String {
    format!("sites/{site}/assets/{file}")
}

fn file_name(hash: &str, width: u32, ext: &str) -> String {
    format!("{hash}-{width}.{ext}")
}

fn process(data: &[u8]) -> Result<Processed, Error> {
    let refused = || {
        Error::AssetRefused(
            "This file is not a JPEG, PNG, WebP or GIF image (judged by its content, not its name).".into(),
        )
    };
    let kind = infer::get(data).ok_or_else(refused)?;
    let format = match kind.mime_type() {
        "image/jpeg" => ImageFormat::Jpeg,
        "image/png" => ImageFormat::Png,
        "image/webp" => ImageFormat::WebP,
        "image/gif" => ImageFormat::Gif,
        _ => return Err(refused()),
    };
    let too_large = || {
        Error::AssetRefused(format!(
            "The image is too large: at most {MAX_SIDE} pixels a side and {} megapixels.",
            MAX_PIXELS / 1_000_000
        ))
    };
    // The size the file declares, read from its header before anything is
    // decoded: a tiny file may declare a huge canvas.
    let (w, h) = image::ImageReader::with_format(std::io::Cursor::new(data), format)
        .into_dimensions()
        .map_err(|e| Error::AssetRefused(format!("The image cannot be read ({e}); it may be damaged.")))?;
    let pixels = u64::from(w) * u64::from(h);
    if w > MAX_SIDE || h > MAX_SIDE || pixels > MAX_PIXELS {
        return Err(too_large());
    }
    // Real images carry data for their pixels: even a flat screenshot
    // compresses to well under a thousand pixels a byte. A small file that
    // declares a big canvas would only cost memory and time to decode.
    if pixels > 4_000_000 && pixels > data.len() as u64 * 1_000 {
        return Err(Error::AssetRefused(format!(
            "The image declares {w}×{h} pixels but holds only {} bytes; it looks damaged or made to exhaust memory.",
            data.len()
        )));
    }
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(data), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| {
        Error::AssetRefused(format!(
            "The image cannot be read ({e}); it may be damaged or too large (at most {MAX_SIDE} pixels a side)."
        ))
    })?;
    let img = if img.width() > MAX_WIDTH {
        img.resize(MAX_WIDTH, u32::MAX, image::imageops::FilterType::Lanczos3)
    } else {
        img
    };
    // Photos as JPEG; anything with transparency as PNG.
    let (content_type, ext, out_format) = if img.color().has_alpha() {
        ("image/png", "png", ImageFormat::Png)
    } else {
        ("image/jpeg", "jpg", ImageFormat::Jpeg)
    };
    let mut sizes = vec![encode(&img, out_format)?];
    for &w in WIDTHS.iter().rev() {
        if w < img.width() {
            let small = img.resize(w, u32::MAX, image::imageops::FilterType::Lanczos3);
            sizes.push(encode(&small, out_format)?);
        }
    }
    Ok(Processed { content_type, ext, sizes })
}

fn encode(img: &DynamicImage, format: ImageFormat) -> Result<Encoded, Error> {
    let mut out = std::io::Cursor::new(Vec::new());
    let img = match format {
        ImageFormat::Jpeg => DynamicImage::ImageRgb8(img.to_rgb8()),
        _ => DynamicImage::ImageRgba8(img.to_rgba8()),
    };
    match format {
        ImageFormat::Jpeg => {
            let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82);
            img.write_with_encoder(enc)
        }
        _ => img.write_to(&mut out, format),
    }
    .map_err(|e| Error::AssetRefused(format!("The image cannot be encoded again: {e}")))?;
    let (width, height) = img.dimensions();
    Ok(Encoded { width, height, bytes: out.into_inner() })
}

impl Sites {
    pub(crate) fn asset_view(a: AssetRow) -> Asset {
        let url = a.variants.first().map(|v| v.url.clone()).unwrap_or_default();
        let srcset = a.variants.iter().map(|v| format!("{} {}w", v.url, v.width)).collect::<Vec<_>>().join(", ");
        Asset {
            id: a.id,
            name: a.name,
            content_type: a.content_type,
            url,
            srcset,
            width: a.width as u32,
            height: a.height as u32,
            bytes: a.bytes,
            variants: a.variants,
            created_at: a.created_at,
        }
    }

    /// Stores an uploaded image with its smaller sizes. Counts against the
    /// plan's `storage_bytes`.
    ///
    /// # Errors
    /// `asset_refused` (not an image by its content, or unreadable),
    /// `payload_too_large`, `plan_limit_reached`, `site_not_found`.
    pub async fn upload(&self, ctx: &TenantCtx, site: SiteId, name: &str, data: Bytes) -> Result<Asset, Error> {
        Self::may_edit(ctx)?;
        if data.len() > MAX_ASSET_BYTES {
            return Err(Error::TooLarge(format!("An image may be at most {} MB.", MAX_ASSET_BYTES / (1024 * 1024))));
        }
        let name = crate::model::field("/name", name, 0, 200).unwrap_or_default();
        let name = if name.is_empty() { "image".to_owned() } else { name };
        {
            // Before the work: the site is there and has room.
            let mut tx = self.0.db.tenant_read(ctx).await?;
            Self::site_row(&mut tx, site, false).await?;
            if store::count_assets(&mut tx, site).await? >= MAX_ASSETS {
                return Err(Error::SiteFull(format!("A site holds at most {MAX_ASSETS} images; delete some first.")));
            }
            tx.commit().await?;
        }
        // Wait for a turn well within the request's deadline, rather than
        // time out after the work was done.
        let permit = match tokio::time::timeout(std::time::Duration::from_secs(15), PROCESSING.acquire()).await {
            Ok(Ok(p)) => p,
            _ => return Err(Error::Busy("Images are being processed for others; send this one again in a moment.")),
        };
        // The work goes on to its end even if the client leaves; the permit
        // is held until then, so abandoned uploads cannot pile up.
        let processed = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            process(&data)
        })
        .await
        .map_err(|e| Error::AssetRefused(format!("The image could not be processed: {e}")))??;
        let hash = hex::encode(&Sha256::digest(&processed.sizes[0].bytes)[..10]);
        let mut variants = Vec::with_capacity(processed.sizes.len());
        let mut total = 0i64;
        for s in &processed.sizes {
            let file = file_name(&hash, s.width, processed.ext);
            self.0.blobs.put(ctx.tenant, &blob_key(site, &file), Bytes::from(s.bytes.clone())).await?;
            total += s.bytes.len() as i64;
            variants.push(Variant {
                width: s.width,
                height: s.height,
                url: format!("/_assets/{site}/{file}"),
                bytes: s.bytes.len() as i64,
            });
        }
        let row = AssetRow {
            id: AssetId::new(),
            site_id: site,
            hash: hash.clone(),
            name,
            content_type: processed.content_type.into(),
            width: processed.sizes[0].width as i32,
            height: processed.sizes[0].height as i32,
            bytes: total,
            variants,
            created_at: self.now(),
        };
        let stored = async {
            let mut tx = self.0.db.tenant_tx(ctx).await?;
            stackpro_security::store::lock_tenant(&mut tx).await?;
            Self::site_row(&mut tx, site, false).await?;
            let stored = store::insert_asset(&mut tx, &row).await?;
            let bytes = stackpro_store::usage::stored_bytes(&mut tx).await?;
            self.0
                .metering
                .set_level(&mut tx, ctx.tenant, Meter::StorageBytes, bytes, &format!("storage:asset:{}", row.id))
                .await?;
            tx.commit().await?;
            Ok::<_, Error>(stored)
        }
        .await;
        match stored {
            Ok(a) => Ok(Self::asset_view(a)),
            Err(e) => {
                // Nothing refers to the blobs: remove them (unless an equal
                // image was stored before, which shares them).
                let mut tx = self.0.db.tenant_read(ctx).await?;
                let shared =
                    store::assets(&mut tx, site).await.map(|l| l.iter().any(|a| a.hash == hash)).unwrap_or(true);
                drop(tx);
                if !shared {
                    self.delete_asset_blobs(ctx.tenant, &row).await;
                }
                Err(e)
            }
        }
    }

    /// The images of a site.
    ///
    /// # Errors
    /// `site_not_found`.
    pub async fn assets(&self, ctx: &TenantCtx, site: SiteId) -> Result<Vec<Asset>, Error> {
        Self::may_read(ctx).map_err(|_| Error::SiteNotFound(site.to_string()))?;
        let mut tx = self.0.db.tenant_read(ctx).await?;
        Self::site_row(&mut tx, site, false).await?;
        let rows = store::assets(&mut tx, site).await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(Self::asset_view).collect())
    }

    /// Deletes an image and its sizes.
    ///
    /// # Errors
    /// `asset_not_found`, `site_not_found`.
    pub async fn delete_asset(&self, ctx: &TenantCtx, site: SiteId, id: AssetId) -> Result<(), Error> {
        Self::may_edit(ctx)?;
        let mut tx = self.0.db.tenant_tx(ctx).await?;
        stackpro_security::store::lock_tenant(&mut tx).await?;
        Self::site_row(&mut tx, site, false).await?;
        let row = store::delete_asset(&mut tx, site, id).await?.ok_or_else(|| Error::AssetNotFound(id.to_string()))?;
        let bytes = stackpro_store::usage::stored_bytes(&mut tx).await?;
        self.0
            .metering
            .set_level(&mut tx, ctx.tenant, Meter::StorageBytes, bytes, &format!("storage:asset-delete:{id}"))
            .await?;
        tx.commit().await?;
        self.delete_asset_blobs(ctx.tenant, &row).await;
        Ok(())
    }

    pub(crate) async fn delete_asset_blobs(&self, tenant: TenantId, a: &AssetRow) {
        for v in &a.variants {
            if let Some(file) = v.url.rsplit('/').next() {
                if let Err(e) = self.0.blobs.delete(tenant, &blob_key(a.site_id, file)).await {
                    tracing::warn!(error = %e, "cannot delete an image blob; it is left behind");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg_with_exif(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        let mut out = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(img).write_to(&mut out, ImageFormat::Jpeg).unwrap();
        let jpeg = out.into_inner();
        // An APP1 Exif segment right after SOI, with a recognisable marker.
        let payload = b"Exif\0\0GPS-SECRET-48.8584N-2.2945E";
        let mut with = vec![0xFF, 0xD8, 0xFF, 0xE1];
        with.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        with.extend_from_slice(payload);
        with.extend_from_slice(&jpeg[2..]);
        with
    }

    #[test]
    fn metadata_is_gone_and_smaller_widths_are_made() {
        let data = jpeg_with_exif(1200, 800);
        assert!(data.windows(10).any(|w| w == b"GPS-SECRET"));
        let p = process(&data).unwrap();
        assert_eq!(p.content_type, "image/jpeg");
        let widths: Vec<u32> = p.sizes.iter().map(|s| s.width).collect();
        assert_eq!(widths, vec![1200, 960, 480]);
        for s in &p.sizes {
            assert!(!s.bytes.windows(10).any(|w| w == b"GPS-SECRET"));
            assert!(!s.bytes.windows(4).any(|w| w == b"Exif"));
        }
    }

    #[test]
    fn a_file_that_lies_about_its_type_is_refused() {
        assert!(matches!(process(b"<svg onload=alert(1)>"), Err(Error::AssetRefused(_))));
        let mut fake_png = b"\x89PNG\r\n\x1a\n".to_vec();
        fake_png.extend_from_slice(&[0u8; 64]);
        assert!(matches!(process(&fake_png), Err(Error::AssetRefused(_))));
    }

    fn tiny_gif(side: u16) -> Vec<u8> {
        let mut gif = b"GIF89a".to_vec();
        gif.extend_from_slice(&side.to_le_bytes());
        gif.extend_from_slice(&side.to_le_bytes());
        gif.extend_from_slice(b"\x80\0\0\0\0\0\xff\xff\xff,");
        for v in [0u16, 0, 1, 1] {
            gif.extend_from_slice(&v.to_le_bytes());
        }
        gif.extend_from_slice(b"\0\x02\x02\x44\x01\x00;");
        gif
    }

    #[test]
    fn a_tiny_file_declaring_a_canvas_under_the_limit_is_refused_too() {
        // 49 megapixels in 35 bytes: under the pixel limit, not a real image.
        let started = std::time::Instant::now();
        match process(&tiny_gif(7000)) {
            Err(Error::AssetRefused(m)) => assert!(m.contains("declares 7000×7000"), "{m}"),
            other => panic!("{:?}", other.map(|p| p.content_type)),
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn a_tiny_file_declaring_a_huge_canvas_is_refused_before_decoding() {
        // A 35-byte GIF that declares 8000x8000 pixels (64 megapixels).
        let mut gif = b"GIF89a".to_vec();
        gif.extend_from_slice(&8000u16.to_le_bytes());
        gif.extend_from_slice(&8000u16.to_le_bytes());
        gif.extend_from_slice(b"\x80\0\0\0\0\0\xff\xff\xff,");
        for v in [0u16, 0, 1, 1] {
            gif.extend_from_slice(&v.to_le_bytes());
        }
        gif.extend_from_slice(b"\0\x02\x02\x44\x01\x00;");
        let started = std::time::Instant::now();
        match process(&gif) {
            Err(Error::AssetRefused(m)) => assert!(m.contains("too large"), "{m}"),
            other => panic!("{:?}", other.map(|p| p.content_type)),
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }
}
