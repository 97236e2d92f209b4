/** @odoo-module **/
// A seller's first steps in a real browser (issue 11): Settings → Amazon, test the
// connection, synchronise, see Amazon's refusal in Errors and retry it, see a row Success.
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("amazon_first_week", {
    url: "/odoo/action-amazon_integration.amazon_config_settings_action",
    steps: () => [
        {
            content: "Settings open on Amazon",
            trigger: "button[name='action_amazon_test_connection']",
            run: "click",
        },
        {
            content: "The connection test answers",
            trigger: ".o_notification:contains(Connected to)",
        },
        {
            content: "Open the Amazon app",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            trigger: ".o_app[data-menu-xmlid='amazon_integration.amazon_menu_root']",
            run: "click",
        },
        {
            content: "Open the account",
            trigger: ".o_data_row td[name='name']:contains(Tour account)",
            run: "click",
        },
        {
            content: "Synchronise",
            trigger: "button[name='action_sync_now']",
            run: "click",
        },
        {
            content: "It says what happened",
            trigger: ".o_notification:contains(synchronised in the background)",
        },
        {
            content: "The account counts its errors",
            trigger: ".oe_stat_button:contains(Errors)",
            run: "click",
        },
        {
            content: "Errors are grouped by kind",
            trigger: ".o_group_header:contains(Catalog update)",
            run: "click",
        },
        {
            content: "Amazon's refusal, in words a seller can act on",
            trigger: ".o_data_row td[name='message']:contains(Barcode: '12345')",
        },
        {
            content: "Retry it",
            trigger: ".o_data_row button[name='action_retry']",
            run: "click",
        },
        {
            trigger: ".o_notification:contains(queued again)",
        },
        {
            content: "The catalog rows",
            trigger: "[data-menu-xmlid='amazon_integration.amazon_integration_menu']",
            run: "click",
        },
        {
            trigger: "[data-menu-xmlid='amazon_integration.amazon_product_integration_menu']",
            run: "click",
        },
        {
            content: "A row Amazon accepted",
            trigger: ".o_data_row:contains(TOUR-GOOD) td[name='amazon_status']:contains(Success)",
        },
        {
            content: "The retried row waits for the next run",
            trigger: ".o_data_row:contains(TOUR-BAD) td[name='amazon_status']:contains(None)",
        },
    ],
});
