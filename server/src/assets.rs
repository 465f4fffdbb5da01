//! The compiled site's `/pkg` files (wasm, JavaScript, CSS). Pages name them under
//! `/static/BUILD/pkg/`, where BUILD is a hash of the whole directory's content: there they are
//! cached for a year and never revalidated, since a new build has a new address. (One hash for
//! the directory, because the split loader fetches its chunks by fixed names relative to
//! itself.) The plain `/pkg/` addresses stay, revalidated on every load. Either way a file is
//! sent as its brotli or gzip variant when the browser accepts one; release servers write those
//! variants at start-up, and until they are there (or if a rebuild under a running server left
//! them stale) the response is compressed on the fly.

use axum::Router;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use tower::ServiceExt;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// Where the pages find the assets of this build: `/static/BUILD`, the prefix of `/pkg/...`.
pub const VERSIONED_PREFIX: &str = "/static";

/// `Cache-Control` of a file under its build's address.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The build whose files are in a `/pkg` directory: a hash of their names and content, and
/// when it was taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Build {
    pub id: String,
    pub taken: SystemTime,
}

impl Build {
    /// The build in `dir` (cached per process and directory: the test suite builds a router per
    /// test). The compressed variants and partial files do not count; a missing directory is a
    /// build of nothing.
    pub fn of(dir: &Path) -> Build {
        static SEEN: Mutex<Vec<(PathBuf, Build)>> = Mutex::new(Vec::new());
        let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, build)) = seen.iter().find(|(d, _)| d == dir) {
            return build.clone();
        }
        let build = Build::hash(dir);
        seen.push((dir.to_path_buf(), build.clone()));
        build
    }

    /// Hashes `dir` now.
    pub fn hash(dir: &Path) -> Build {
        let taken = SystemTime::now();
        let mut files = Vec::new();
        collect(dir, dir, &mut files);
        files.sort();
        let mut hasher = Sha256::new();
        for name in &files {
            let Ok(bytes) = std::fs::read(dir.join(name)) else { continue };
            hasher.update((name.len() as u64).to_le_bytes());
            hasher.update(name.as_bytes());
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(&bytes);
        }
        let id = hex::encode(&hasher.finalize()[..8]);
        Build { id, taken }
    }

    /// The prefix the pages put before `/pkg/...`.
    pub fn root(&self) -> String {
        format!("{VERSIONED_PREFIX}/{}", self.id)
    }
}

/// The served files under `dir`, as paths relative to `top` with `/` between parts.
fn collect(top: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(top, &path, out);
        } else if !is_variant(&path) {
            if let Ok(relative) = path.strip_prefix(top) {
                let parts: Vec<_> = relative.components().map(|c| c.as_os_str().to_string_lossy()).collect();
                out.push(parts.join("/"));
            }
        }
    }
}

fn is_variant(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("br" | "gz" | "partial"))
}

/// The files of `dir`, precompressed where a variant is there and compressed on the fly where
/// not (a response that already has a `Content-Encoding` passes through as it is).
fn files(dir: PathBuf) -> Router {
    Router::new()
        .fallback_service(ServeDir::new(dir).precompressed_br().precompressed_gzip())
        .layer(CompressionLayer::new())
}

/// The router for `/pkg`: the files under their plain names, revalidated on every load.
pub fn pkg_router(pkg_dir: PathBuf) -> Router {
    files(pkg_dir).layer(SetResponseHeaderLayer::overriding(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache"),
    ))
}

#[derive(Clone)]
struct Versioned {
    dir: PathBuf,
    build: Arc<Build>,
    files: Router,
}

/// The router for `/static/BUILD/pkg/...`. A file is cached for good only when BUILD is this
/// build and the file is not newer than its hash; otherwise (a page of an earlier build still
/// open, or a rebuild under the running server) it is the current file, revalidated.
pub fn versioned_router<S: Clone + Send + Sync + 'static>(pkg_dir: PathBuf, build: Build) -> Router<S> {
    let state = Versioned { files: files(pkg_dir.clone()), dir: pkg_dir, build: Arc::new(build) };
    Router::new()
        .route(&format!("{VERSIONED_PREFIX}/{{build}}/pkg/{{*file}}"), axum::routing::get(versioned_file))
        .with_state(state)
}

async fn versioned_file(State(v): State<Versioned>, mut request: Request) -> Response {
    // The raw path, not the decoded `file` parameter, so that the file server decodes it once.
    let path = request.uri().path().to_string();
    let Some((build, file)) = path
        .strip_prefix(VERSIONED_PREFIX)
        .and_then(|p| p.strip_prefix('/'))
        .and_then(|p| p.split_once('/'))
        .and_then(|(build, rest)| Some((build, rest.strip_prefix("pkg").filter(|f| f.starts_with('/'))?)))
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Ok(uri) = http::Uri::builder().path_and_query(file).build() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let current = build == v.build.id && unchanged_since(&v.dir, file, v.build.taken).await;
    *request.uri_mut() = uri;
    let Ok(mut response) = v.files.oneshot(request).await;
    let cache = if current && response.status() == StatusCode::OK { IMMUTABLE } else { "no-cache" };
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// Whether `file` (a raw URL path under `dir`) was last written before `taken`. Any part that
/// is not a plain name (`..`, an escape) counts as changed: the file server answers it anyway.
async fn unchanged_since(dir: &Path, file: &str, taken: SystemTime) -> bool {
    let mut path = dir.to_path_buf();
    for part in file.split('/').filter(|p| !p.is_empty()) {
        if part == "." || part == ".." || part.contains(['%', '\\']) {
            return false;
        }
        path.push(part);
    }
    tokio::fs::metadata(&path)
        .await
        .and_then(|m| m.modified())
        .is_ok_and(|modified| modified <= taken)
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

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("rapport-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    async fn get(router: Router, path: &str, encoding: &str) -> (http::response::Parts, Vec<u8>) {
        let request = http::Request::get(path)
            .header(header::ACCEPT_ENCODING, encoding)
            .body(axum::body::Body::empty())
            .unwrap();
        let (parts, body) = router.oneshot(request).await.unwrap().into_parts();
        (parts, axum::body::to_bytes(body, usize::MAX).await.unwrap().to_vec())
    }

    fn unbrotli(bytes: &[u8]) -> String {
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut &bytes[..], &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[tokio::test]
    async fn compresses_on_the_fly_when_the_variants_are_not_there() {
        let dir = scratch("fly");
        let original = "export function hydrate() {}\n".repeat(300);
        std::fs::write(dir.join("app.js"), &original).unwrap();
        // No precompress: a rebuild under a running server, before the variants are written.
        let (parts, body) = get(pkg_router(dir.clone()), "/app.js", "gzip, br").await;
        assert_eq!(parts.status, 200);
        assert_eq!(parts.headers[header::CONTENT_ENCODING], "br");
        assert!(body.len() < original.len() / 10, "{} bytes sent", body.len());
        assert_eq!(unbrotli(&body), original);
        let (parts, body) = get(pkg_router(dir.clone()), "/app.js", "gzip").await;
        assert_eq!(parts.headers[header::CONTENT_ENCODING], "gzip");
        let mut ungzip = String::new();
        use std::io::Read;
        flate2::read::GzDecoder::new(&body[..]).read_to_string(&mut ungzip).unwrap();
        assert_eq!(ungzip, original);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_build_is_named_by_its_content_and_not_by_the_compressed_variants() {
        let dir = scratch("build-id");
        std::fs::create_dir_all(dir.join("snippets")).unwrap();
        std::fs::write(dir.join("app.js"), "let a = 1;\n".repeat(100)).unwrap();
        std::fs::write(dir.join("snippets/s.js"), "export {}").unwrap();
        let first = Build::hash(&dir);
        assert_eq!(first.id.len(), 16);
        precompress(&dir).unwrap();
        assert_eq!(Build::hash(&dir).id, first.id, "the variants changed the build");
        std::fs::write(dir.join("snippets/s.js"), "export { x }").unwrap();
        let changed = Build::hash(&dir);
        assert_ne!(changed.id, first.id, "a changed file kept the build");
        std::fs::write(dir.join("snippets/s.js"), "export {}").unwrap();
        assert_eq!(Build::hash(&dir).id, first.id, "the same content is the same build");
        assert_eq!(first.root(), format!("/static/{}", first.id));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn this_builds_files_are_cached_for_good_and_others_revalidated() {
        let dir = scratch("versioned");
        let original = "let b = 2;\n".repeat(100);
        std::fs::write(dir.join("app.js"), &original).unwrap();
        std::fs::write(dir.join("later.js"), "old").unwrap();
        precompress(&dir).unwrap();
        let build = Build::hash(&dir);
        let router = || versioned_router(dir.clone(), build.clone());
        let this = format!("/static/{}/pkg/app.js", build.id);

        let (parts, body) = get(router(), &this, "br").await;
        assert_eq!(parts.status, 200);
        assert_eq!(parts.headers[header::CACHE_CONTROL], "public, max-age=31536000, immutable");
        assert_eq!(parts.headers[header::CONTENT_ENCODING], "br");
        assert_eq!(unbrotli(&body), original);

        // A page of another build gets today's file, revalidated.
        let (parts, body) = get(router(), "/static/0123456789abcdef/pkg/app.js", "identity").await;
        assert_eq!(parts.status, 200);
        assert_eq!(parts.headers[header::CACHE_CONTROL], "no-cache");
        assert_eq!(String::from_utf8(body).unwrap(), original);

        // A file written after the build was named is not this build's.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(dir.join("later.js"), "new").unwrap();
        let (parts, body) = get(router(), &format!("/static/{}/pkg/later.js", build.id), "identity").await;
        assert_eq!(parts.headers[header::CACHE_CONTROL], "no-cache");
        assert_eq!(body, b"new");

        // Missing files and escapes are not found, and never cached.
        for path in [
            format!("/static/{}/pkg/missing.js", build.id),
            format!("/static/{}/pkg/../app.js", build.id),
            format!("/static/{}/pkg/%2e%2e/%2e%2e/Cargo.toml", build.id),
            format!("/static/{}/pkgapp.js", build.id),
            format!("/static/{}/app.js", build.id),
        ] {
            let (parts, _) = get(router(), &path, "identity").await;
            assert_ne!(parts.status, 200, "{path}");
            assert_ne!(parts.headers.get(header::CACHE_CONTROL).map(|v| v.as_bytes()), Some(IMMUTABLE.as_bytes()), "{path}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
