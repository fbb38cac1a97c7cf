@channels @channels_7 @emulator_only
Feature: The first "completed" notification of a payment arriving many times at once credits once
  Proves, in Cryptopay's words:
  - Channels item 7: Make sure that resending callbacks with the completed status does not result in the recharging of funds to the customer's balance on your side
  Copies of the notification that a payment completed can race each other before anything was credited. The
  merchant must still credit the payment once: only its own records refusing a second credit for the same
  payment, even at the same instant, guarantee it.
  Emulator only: the sandbox cannot hold its notifications back and release many copies of one at once.

  Scenario: The very first "completed" notification of a payment arrives 50 times at once
    Given a new customer
    And the customer has a personal address to deposit crypto, credited in EUR
    And Cryptopay's notifications to the merchant are delayed
    And the customer has sent a payment to their deposit address
    And Cryptopay has reported the payment as completed
    When the "completed" notification of the payment reaches the merchant 50 times at once
    Then the merchant acknowledged every notification
    And the customer has been credited the declared amount of the payment
