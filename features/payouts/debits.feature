@payouts @payouts_5
Feature: The customer is debited what Cryptopay charged, exactly once
  Proves, in Cryptopay's words:
  - Payouts item 5: Make sure that you have charged the correct amount from the customer's balance on your side
  A payout costs the customer the amount Cryptopay charged the merchant's account for it (the payout's
  charged amount), taken from their balance once: not again when a notification of the payout arrives again,
  nor when many copies of it arrive at the same moment.

  Background:
    Given the merchant's Cryptopay account holds 1000.00 EUR to pay customers out
    And a new customer
    And the customer has a balance of 100.00 EUR

  Scenario: A payout debits the customer once, by what Cryptopay charged
    When the customer asks to withdraw 20.00 EUR, sent in crypto
    Then Cryptopay reports the payout as completed
    And the customer has been debited what Cryptopay charged for the payout, once

  @negative
  Scenario Outline: The payout's "<notification>" notification sent again debits nothing more
    Given the customer's 20.00 EUR payout, sent in crypto, has completed
    When Cryptopay sends the "<notification>" notification of the payout again
    Then the merchant acknowledged every notification
    And the customer's balance still shows what is left after the payout

    Examples:
      | notification |
      | created      |
      | completed    |

  @negative
  Scenario Outline: Fifty copies at once of the payout's "<notification>" notification debit nothing more
    Given the customer's 20.00 EUR payout, sent in crypto, has completed
    When Cryptopay sends the "<notification>" notification of the payout 50 times at once
    Then the merchant acknowledged every notification
    And the customer's balance still shows what is left after the payout

    Examples:
      | notification |
      | created      |
      | completed    |
