// OpenSSL's libcrypto, for SHA-256 alone (the system's library: Debian's libssl-dev).
#include <openssl/evp.h>
