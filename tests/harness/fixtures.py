"""Real-server test fixtures (MariaDB, FTP/FTPS, SFTP, Ollama protocol, JPEGs): filled in by the harness work."""
