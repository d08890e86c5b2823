"""The developer portal: Backstage software templates and catalog entities from the catalog and the fleet."""
