"""The kiosk's configuration (one TOML file, validated at start) and its data directory.

``schema.py`` holds the sections and keys, ``loading.py`` finds, parses and
validates the file with errors naming key and line, ``data_layout.py`` names
every place under the data directory. Import from here.
"""

from kiosk.config.data_layout import APP_NAME, DataLayout, default_data_dir
from kiosk.config.loading import (
    ENV_VAR,
    ConfigError,
    ConfigProblem,
    data_layout,
    default_config_path,
    key_lines,
    load_config,
    parse_config,
    resolve_config_path,
)
from kiosk.config.schema import (
    CameraSection,
    Config,
    FitnessSection,
    HomeSection,
    HoursSection,
    KioskSection,
    LoggingSection,
    MaintainerSection,
    ResidentsSection,
    SensorDevice,
    SensorsSection,
    StoreSection,
    SyncSection,
    VisionSection,
    VoiceSection,
)

__all__ = [
    "APP_NAME", "ENV_VAR", "CameraSection", "Config", "ConfigError", "ConfigProblem",
    "DataLayout", "FitnessSection", "HomeSection", "HoursSection", "KioskSection", "LoggingSection", "MaintainerSection", "ResidentsSection",
    "SensorDevice", "SensorsSection", "StoreSection", "SyncSection", "VisionSection",
    "VoiceSection", "data_layout", "default_config_path", "default_data_dir", "key_lines",
    "load_config", "parse_config", "resolve_config_path",
]
