//! The compiled site's `/pkg` files (wasm, JavaScript, CSS): served with their brotli or gzip
//! variant when the browser accepts one, and revalidated by `Last-Modified` on every load so a
//! new build is picked up at once. Release servers write those variants at start-up.

use axum::Router;
use http::{HeaderValue, header};
use std::path::{Path, PathBuf};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// The router for `/pkg`.
pub fn pkg_router(pkg_dir: PathBuf) -> Router {
    let files = ServeDir::new(pkg_dir)
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .fallback_service(files)
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
}

/// Extensions worth compressing.
const COMPRESSIBLE: &[&str] = &["wasm", "js", "css", "svg"];

/// Writes `NAME.br` and `NAME.gz` beside every compressible file in `dir` whose variants are
/// missing or older than it. Each variant is written to a temporary file and renamed, so a
/// request never sees half of one. Returns how many files were compressed.
pub fn precompress(dir: &Path) -> std::io::Result<usize> {
    let mut done = 0;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let wanted = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| COMPRESSIBLE.contains(&e));
        if !wanted || !path.is_file() {
            continue;
        }
        let modified = std::fs::metadata(&path)?.modified()?;
        let mut compressed_any = false;
        for (suffix, compress) in [
            ("br", brotli_bytes as fn(&[u8]) -> std::io::Result<Vec<u8>>),
            ("gz", gzip_bytes),
        ] {
            let variant = PathBuf::from(format!("{}.{suffix}", path.display()));
            let fresh = std::fs::metadata(&variant)
                .and_then(|m| m.modified())
                .is_ok_and(|t| t >= modified);
            if fresh {
                continue;
            }
            let bytes = compress(&std::fs::read(&path)?)?;
            let partial = PathBuf::from(format!("{}.{suffix}.partial", path.display()));
            std::fs::write(&partial, bytes)?;
            std::fs::rename(&partial, &variant)?;
            compressed_any = true;
        }
        if compressed_any {
            done += 1;
        }
    }
    Ok(done)
}

fn brotli_bytes(input: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    // Best compression for release-sized files; a debug build's tens of megabytes would take
    // minutes at quality 11, so those get a quick pass instead.
    let quality = if input.len() <= 4 * 1024 * 1024 { 11 } else { 5 };
    let params = brotli::enc::BrotliEncoderParams {
        quality,
        lgwin: 22,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &input[..], &mut out, &params)?;
    Ok(out)
}

fn gzip_bytes(input: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(input)?;
    encoder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_variants_that_decompress_to_the_original_and_skips_fresh_ones() {
        let dir = std::env::temp_dir().join(format!("rapport-pkg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let original = "console.log('rapport');\n".repeat(200);
        std::fs::write(dir.join("app.js"), &original).unwrap();
        std::fs::write(dir.join("notes.txt"), "not compressed").unwrap();

        assert_eq!(precompress(&dir).unwrap(), 1);
        assert!(!dir.join("notes.txt.br").exists());

        let mut unbrotli = Vec::new();
        brotli::BrotliDecompress(
            &mut &std::fs::read(dir.join("app.js.br")).unwrap()[..],
            &mut unbrotli,
        )
        .unwrap();
        assert_eq!(String::from_utf8(unbrotli).unwrap(), original);
        let mut ungzip = String::new();
        use std::io::Read;
        flate2::read::GzDecoder::new(&std::fs::read(dir.join("app.js.gz")).unwrap()[..])
            .read_to_string(&mut ungzip)
            .unwrap();
        assert_eq!(ungzip, original);

        // Nothing changed: nothing is compressed again.
        assert_eq!(precompress(&dir).unwrap(), 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn serves_the_variant_the_browser_accepts_and_asks_to_revalidate() {
        use tower::ServiceExt;
        let dir = std::env::temp_dir().join(format!("rapport-serve-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("app.js"), "let a = 1;\n".repeat(100)).unwrap();
        precompress(&dir).unwrap();
        let get = |encoding: &'static str| {
            let request = http::Request::get("/app.js")
                .header(header::ACCEPT_ENCODING, encoding)
                .body(axum::body::Body::empty())
                .unwrap();
            pkg_router(dir.clone()).oneshot(request)
        };
        let brotli = get("gzip, deflate, br").await.unwrap();
        assert_eq!(brotli.status(), 200);
        assert_eq!(brotli.headers()[header::CONTENT_ENCODING], "br");
        assert_eq!(brotli.headers()[header::CACHE_CONTROL], "no-cache");
        let gzip = get("gzip").await.unwrap();
        assert_eq!(gzip.headers()[header::CONTENT_ENCODING], "gzip");
        let plain = get("identity").await.unwrap();
        assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(plain.headers()[header::CONTENT_TYPE], "text/javascript");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
