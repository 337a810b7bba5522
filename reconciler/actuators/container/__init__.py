"""Docker containers (kind `container`): the SDK for changes, a stdlib socket client for observe."""
