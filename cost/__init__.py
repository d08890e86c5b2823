"""Cost: monthly estimates of stacks from their plans and the sites map's prices; Infracost JSON; showback."""
