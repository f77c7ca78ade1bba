// einvoice: the operator CLI (key generation, chain verification and export, ...).
#include "app/cli/cli.h"

int main(int argc, char** argv) { return app::cli::Main(argc, argv); }
