//! Extra root certificates for the SMTP transport's TLS (`transport.ca_file`): a PEM file
//! read and checked once, when the project is checked and when the transport is built, so
//! a wrong file is reported up front rather than at the first send.

use std::path::{Path, PathBuf};

use lettre::transport::smtp::client::{Certificate, CertificateStore, TlsParameters};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use crate::actions::error_chain::error_chain;

/// The certificates of a `ca_file`, each checked to be usable as a trust anchor.
#[derive(Debug, Clone)]
pub struct CaFile {
    certificates: Vec<CertificateDer<'static>>,
}

/// Why a `ca_file` cannot be used. Names the file; holds nothing secret.
#[derive(Debug, thiserror::Error)]
pub enum CaFileError {
    /// The file cannot be read.
    #[error("cannot read `{}`: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A `CERTIFICATE` block is not valid PEM (bad base64, missing end line).
    #[error("`{}` is not a valid PEM file: {message}", path.display())]
    Pem { path: PathBuf, message: String },
    /// The file holds no `CERTIFICATE` block at all (an empty file, a key, DER bytes).
    #[error("`{}` holds no PEM certificate (`-----BEGIN CERTIFICATE-----`)", path.display())]
    Empty { path: PathBuf },
    /// A block decodes but is not an X.509 certificate a TLS client can trust.
    #[error("`{}`: certificate {number} cannot be used as a root: {message}", path.display())]
    Invalid {
        path: PathBuf,
        /// 1 for the file's first certificate.
        number: usize,
        message: String,
    },
}

impl CaFile {
    /// Reads and checks the PEM file at `path` (already resolved against the project).
    pub fn read(path: &Path) -> Result<Self, CaFileError> {
        let bytes = std::fs::read(path).map_err(|source| CaFileError::Read {
            path: path.to_owned(),
            source,
        })?;
        let certificates = CertificateDer::pem_slice_iter(&bytes)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| CaFileError::Pem {
                path: path.to_owned(),
                message: error.to_string(),
            })?;
        if certificates.is_empty() {
            return Err(CaFileError::Empty {
                path: path.to_owned(),
            });
        }
        // lettre parses a root only when it builds the TLS settings: build them once per
        // certificate now, so the error can say which one is wrong.
        for (index, certificate) in certificates.iter().enumerate() {
            let parameters = Certificate::from_der(certificate.to_vec()).and_then(|root| {
                TlsParameters::builder("localhost".to_owned())
                    .certificate_store(CertificateStore::None)
                    .add_root_certificate(root)
                    .build()
            });
            if let Err(error) = parameters {
                return Err(CaFileError::Invalid {
                    path: path.to_owned(),
                    number: index + 1,
                    message: error_chain(&error),
                });
            }
        }
        Ok(Self { certificates })
    }

    /// TLS settings for `host` that trust the usual public roots plus these certificates.
    pub(super) fn tls_parameters(
        &self,
        host: &str,
    ) -> Result<TlsParameters, lettre::transport::smtp::Error> {
        let mut builder = TlsParameters::builder(host.to_owned());
        for certificate in &self.certificates {
            builder = builder.add_root_certificate(Certificate::from_der(certificate.to_vec())?);
        }
        builder.build()
    }
}
