//! `protocol: https`: the certificate, its chain and its key, read once at start-up with an
//! error that names the file that is missing or wrong.

use axum_server::tls_rustls::RustlsConfig;

use crate::server::TlsFiles;

pub async fn load(files: &TlsFiles) -> Result<RustlsConfig, String> {
    let read = |path: &std::path::Path, what: &str| {
        std::fs::read(path).map_err(|e| format!("cannot read the {what} {}: {e}", path.display()))
    };
    let mut certificates = read(&files.cert, "certificate (sslCertPath)")?;
    if let Some(chain) = &files.chain {
        certificates.push(b'\n');
        certificates.extend(read(chain, "certificate chain (sslCertChainPath)")?);
    }
    let key = read(&files.key, "key (sslKeyPath)")?;
    let loaded = match &files.passphrase {
        Some(passphrase) => {
            RustlsConfig::from_pem_with_password(certificates, key, passphrase).await
        }
        None => RustlsConfig::from_pem(certificates, key).await,
    };
    loaded.map_err(|e| {
        format!(
            "{} and {} do not make a usable certificate and key: {e}",
            files.cert.display(),
            files.key.display()
        )
    })
}
